//! Rows for `COPY … FROM STDIN (FORMAT binary)`, encoded straight into one
//! buffer that goes to the server a quarter of a megabyte at a time.
//!
//! tokio-postgres's `BinaryCopyInWriter` takes each value as `&dyn ToSql`,
//! checks its type and awaits once per row. A replay writes a row per case
//! event, a million for a province-year, and a profile of the bulk rebuild put
//! about a tenth of the tool's own time in that writer. The format is small and
//! fixed (PostgreSQL's "Binary Format" of `COPY`): a header, per row a column
//! count and per value a length (−1 for NULL) and its binary form.

use std::pin::Pin;

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::SinkExt;
use jiff::Timestamp;
use tokio_postgres::CopyInSink;
use uuid::Uuid;

/// `COPY`'s binary signature, then flags and header-extension length (both 0).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 UTC.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Bytes gathered before they are handed to the connection: large enough
/// that messages are few, small enough to be reused warm from the allocator
/// rather than mapped afresh each time.
const SEND_AT: usize = 256 << 10;

/// Room for the largest row on top of [`SEND_AT`], so that a row never makes
/// the buffer grow (and be copied) before it is sent.
const ROW_ROOM: usize = 64 << 10;

/// A value in its binary `COPY` form.
pub(crate) trait CopyValue {
    fn put(&self, buffer: &mut BytesMut);
}

/// Integers: their width, then big-endian.
macro_rules! integers {
    ($($integer:ty: $width:literal, $put:ident;)*) => {
        $(impl CopyValue for $integer {
            fn put(&self, buffer: &mut BytesMut) {
                buffer.put_i32($width);
                buffer.$put(*self);
            }
        })*
    };
}

integers! {
    i64: 8, put_i64;
    i32: 4, put_i32;
    i16: 2, put_i16;
}

impl CopyValue for bool {
    fn put(&self, buffer: &mut BytesMut) {
        buffer.put_i32(1);
        buffer.put_u8(u8::from(*self));
    }
}

impl CopyValue for Uuid {
    fn put(&self, buffer: &mut BytesMut) {
        buffer.put_i32(16);
        buffer.put_slice(self.as_bytes());
    }
}

/// `timestamptz`: microseconds since 2000-01-01 UTC. Sub-microsecond parts
/// are dropped, as PostgreSQL would store them no finer.
impl CopyValue for Timestamp {
    fn put(&self, buffer: &mut BytesMut) {
        buffer.put_i32(8);
        buffer.put_i64(self.as_microsecond() - POSTGRES_EPOCH_MICROS);
    }
}

/// `text` (UTF-8, as the connection's encoding is).
impl CopyValue for str {
    fn put(&self, buffer: &mut BytesMut) {
        put_bytes(buffer, self.as_bytes());
    }
}

impl CopyValue for String {
    fn put(&self, buffer: &mut BytesMut) {
        self.as_str().put(buffer);
    }
}

/// `bytea`.
impl CopyValue for [u8] {
    fn put(&self, buffer: &mut BytesMut) {
        put_bytes(buffer, self);
    }
}

impl CopyValue for Vec<u8> {
    fn put(&self, buffer: &mut BytesMut) {
        self.as_slice().put(buffer);
    }
}

impl<T: CopyValue + ?Sized> CopyValue for &T {
    fn put(&self, buffer: &mut BytesMut) {
        (**self).put(buffer);
    }
}

impl<T: CopyValue> CopyValue for Option<T> {
    fn put(&self, buffer: &mut BytesMut) {
        match self {
            Some(value) => value.put(buffer),
            None => buffer.put_i32(-1),
        }
    }
}

fn put_bytes(buffer: &mut BytesMut, bytes: &[u8]) {
    // The server refuses any value over 1 GB, and a length it cannot take
    // fails the whole COPY: nothing of it is stored.
    buffer.put_i32(i32::try_from(bytes.len()).unwrap_or(i32::MAX));
    buffer.put_slice(bytes);
}

/// One `COPY … FROM STDIN (FORMAT binary)` in progress.
pub(crate) struct BinaryCopy {
    sink: Pin<Box<CopyInSink<Bytes>>>,
    buffer: BytesMut,
}

impl BinaryCopy {
    /// Starts `statement`, a `COPY … FROM STDIN (FORMAT binary)`.
    pub(crate) async fn start(
        transaction: &tokio_postgres::Transaction<'_>,
        statement: &str,
    ) -> Result<Self, tokio_postgres::Error> {
        let sink = transaction.copy_in::<_, Bytes>(statement).await?;
        let mut buffer = BytesMut::with_capacity(SEND_AT + ROW_ROOM);
        buffer.put_slice(HEADER);
        Ok(Self { sink: Box::pin(sink), buffer })
    }

    /// Adds a row of `values`, in the statement's column order.
    pub(crate) fn row(&mut self, values: &[&dyn CopyValue]) {
        self.buffer.put_i16(i16::try_from(values.len()).unwrap_or(i16::MAX));
        for value in values {
            value.put(&mut self.buffer);
        }
    }

    /// Hands the rows gathered so far to the connection once they are worth a
    /// message; call after each row.
    pub(crate) async fn send_when_full(&mut self) -> Result<(), tokio_postgres::Error> {
        if self.buffer.len() >= SEND_AT {
            let chunk = self.buffer.split().freeze();
            // The sent bytes still hold the old allocation: start a new one
            // of the full size at once instead of growing into it.
            self.buffer.reserve(SEND_AT + ROW_ROOM);
            self.sink.send(chunk).await?;
        }
        Ok(())
    }

    /// Sends the rest and ends the `COPY`; returns the rows the server stored.
    pub(crate) async fn finish(mut self) -> Result<u64, tokio_postgres::Error> {
        self.buffer.put_i16(-1);
        let rest = self.buffer.split().freeze();
        self.sink.feed(rest).await?;
        self.sink.as_mut().finish().await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is a failure

    use onestop_migrations::testing::TestDatabase;

    use super::*;

    fn encoded(value: &dyn CopyValue) -> Vec<u8> {
        let mut buffer = BytesMut::new();
        value.put(&mut buffer);
        buffer.to_vec()
    }

    #[test]
    fn values_take_postgres_binary_forms() {
        assert_eq!(encoded(&7_i64), [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(encoded(&-2_i16), [0, 0, 0, 2, 0xff, 0xfe]);
        assert_eq!(encoded(&true), [0, 0, 0, 1, 1]);
        assert_eq!(encoded(&"ab"), [0, 0, 0, 2, b'a', b'b']);
        assert_eq!(encoded(&None::<i32>), [0xff, 0xff, 0xff, 0xff]);
        let epoch: Timestamp = "2000-01-01T00:00:01Z".parse().unwrap();
        assert_eq!(encoded(&epoch), [0, 0, 0, 8, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40]);
    }

    #[tokio::test]
    async fn rows_read_back_as_written() {
        let database = TestDatabase::create().await.unwrap();
        let mut client = database.superuser().await.unwrap();
        let transaction = client.transaction().await.unwrap();
        transaction
            .batch_execute(
                "CREATE TEMP TABLE copied (n int8, i int4, s int2, b bool, id uuid, \
                 at timestamptz, t text, raw bytea)",
            )
            .await
            .unwrap();
        let id = Uuid::from_u128(0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        let at: Timestamp = "2025-03-04T05:06:07.123456Z".parse().unwrap();
        let text = "Tiếp nhận hồ sơ, hẹn trả ".repeat(4);
        // Enough rows to be sent in several pieces.
        let rows: i64 = 20_000;
        let mut copy =
            BinaryCopy::start(&transaction, "COPY copied (n, i, s, b, id, at, t, raw) FROM STDIN (FORMAT binary)")
                .await
                .unwrap();
        for n in 0..rows {
            if n % 2 == 0 {
                copy.row(&[&n, &-7_i32, &3_i16, &true, &id, &at, &text, &vec![0_u8, 255]]);
            } else {
                let none: [&dyn CopyValue; 7] = [
                    &None::<i32>,
                    &None::<i16>,
                    &None::<bool>,
                    &None::<Uuid>,
                    &None::<Timestamp>,
                    &None::<String>,
                    &None::<Vec<u8>>,
                ];
                let mut values: Vec<&dyn CopyValue> = vec![&n];
                values.extend(none);
                copy.row(&values);
            }
            copy.send_when_full().await.unwrap();
        }
        assert_eq!(copy.finish().await.unwrap(), rows.unsigned_abs());

        let full = transaction.query_one("SELECT * FROM copied WHERE n = 0", &[]).await.unwrap();
        assert_eq!(full.get::<_, i32>(1), -7);
        assert_eq!(full.get::<_, i16>(2), 3);
        assert!(full.get::<_, bool>(3));
        assert_eq!(full.get::<_, Uuid>(4), id);
        assert_eq!(full.get::<_, Timestamp>(5), at);
        assert_eq!(full.get::<_, String>(6), text);
        assert_eq!(full.get::<_, Vec<u8>>(7), vec![0, 255]);
        let empty = transaction
            .query_one("SELECT num_nulls(i, s, b, id, at, t, raw) FROM copied WHERE n = 1", &[])
            .await
            .unwrap();
        assert_eq!(empty.get::<_, i32>(0), 7);
        let counted = transaction.query_one("SELECT count(*) FROM copied", &[]).await.unwrap();
        assert_eq!(counted.get::<_, i64>(0), rows);
    }
}
