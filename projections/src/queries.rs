//! Questions the API asks of the status view.

use deadpool_postgres::Pool;
use jiff::Timestamp;
use onestop_domain::case::CaseState;
use tokio_postgres::types::Type;
use uuid::Uuid;

use crate::runner::ProjectionError;

/// Which cases to list. Every field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Cases held by, or received at, one of these units.
    pub units: Option<Vec<String>>,
    /// Cases the user may see: held by or received at one of these units.
    pub visible_units: Vec<String>,
    pub status: Option<i16>,
    pub procedure: Option<String>,
    pub assignee: Option<Uuid>,
    /// Only cases still open whose due date has passed (true), or not (false).
    pub overdue: Option<bool>,
    pub received_from: Option<Timestamp>,
    pub received_to: Option<Timestamp>,
    /// Part of the case code.
    pub code_contains: Option<String>,
    /// Cases of the applicants a blind-index query finds
    /// ([`crate::search::applicant_filter`]: its terms, and how many of them
    /// an applicant must have); no terms find nothing.
    pub applicant_terms: Option<(Vec<Vec<u8>>, i64)>,
}

/// Where a page starts: after this (filed_at, case_id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub filed_at: Timestamp,
    pub case_id: Uuid,
}

impl Cursor {
    /// The form [`Cursor::decode`] takes, as an ECMA-262 regular expression.
    /// Every text of this form is a place in the listing (16 digits of
    /// microseconds reach past the year 2200), so a client's cursor is refused
    /// only when malformed.
    pub const PATTERN: &'static str = r"^-?[0-9]{1,16}\.[0-9a-f]{32}$";

    /// Opaque to clients: `<microseconds>.<uuid>`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.filed_at.as_microsecond(), self.case_id.simple())
    }

    pub fn decode(text: &str) -> Option<Self> {
        let (micros, id) = text.split_once('.')?;
        let digits = micros.strip_prefix('-').unwrap_or(micros);
        let well_formed = (1..=16).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && id.len() == 32
            && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return None;
        }
        Some(Self { filed_at: Timestamp::from_microsecond(micros.parse().ok()?).ok()?, case_id: id.parse().ok()? })
    }
}

/// One page of cases, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub cases: Vec<(Uuid, CaseState)>,
    pub next: Option<Cursor>,
}

fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The condition on the applicant: none; one of the terms of a number (a
/// phone, an ID number: `&&`); or every term of a name (`@>`). Both are
/// answered by the GIN index of `applicant_terms`, which for a name
/// intersects the terms' posting lists rarest first. A number's applicants
/// (one or two: numbers are nearly unique) are gathered first and their cases
/// read by `case_status (applicant_id)`: PostgreSQL cannot tell how rare a
/// term is that its statistics do not list, and would otherwise walk every
/// case of the unit. A name's are left to the planner, which knows the common
/// family and middle names, and for a common prefix rightly walks the newest
/// cases instead. Written without an `OR` beside other conditions.
fn applicant_matching(terms: Option<&(Vec<Vec<u8>>, i64)>) -> &'static str {
    match terms {
        None => "TRUE",
        Some((_, needed)) if *needed <= 1 => {
            "applicant_id = ANY(ARRAY(SELECT applicant_id FROM applicant_terms WHERE terms && $14::bytea[]))"
        }
        Some(_) => "applicant_id IN (SELECT applicant_id FROM applicant_terms WHERE terms @> $14::bytea[])",
    }
}

/// The SQL condition "open and overdue" as the case view judges it
/// (`Progress::at`, by day in Vietnam's time; a stopped clock as it stood when
/// it stopped): open past the end of its due date's day, i.e. due before
/// `today_began` (the parameter named) began. The one home of that rule in SQL.
pub(crate) fn overdue_condition(today_began: &str) -> String {
    format!(
        "(finished_at IS NULL AND received_at IS NOT NULL \
          AND CASE WHEN paused_since IS NULL THEN due_at < {today_began} \
              ELSE (paused_since AT TIME ZONE INTERVAL '+07:00')::date \
                   > (due_at AT TIME ZONE INTERVAL '+07:00')::date END)"
    )
}

/// The instant today began in Vietnam, the bound [`overdue_condition`] takes.
pub(crate) fn today_began(now: Timestamp) -> Timestamp {
    onestop_domain::calendar::instant(onestop_domain::calendar::local(now).date().into())
}

/// Lists cases matching `filter`, newest filed first, `limit` at a time.
pub async fn list_cases(
    pool: &Pool,
    filter: &CaseFilter,
    now: Timestamp,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Page, ProjectionError> {
    // A search by applicant that no term can match finds nothing.
    if filter.applicant_terms.as_ref().is_some_and(|(terms, _)| terms.is_empty()) {
        return Ok(Page { cases: Vec::new(), next: None });
    }
    let terms = filter.applicant_terms.clone().map(|(terms, _)| terms).unwrap_or_default();
    let sql = format!(
        "SELECT case_id, state, filed_at FROM case_status \
         WHERE (current_unit = ANY($1) OR receiving_unit = ANY($1)) \
           AND ($2::text[] IS NULL OR current_unit = ANY($2) OR receiving_unit = ANY($2)) \
           AND ($3::int2 IS NULL OR status = $3) \
           AND ($4::text IS NULL OR procedure_code = $4) \
           AND ($5::uuid IS NULL OR (assignee = $5 AND finished_at IS NULL)) \
           AND ($6::bool IS NULL OR ($6 = {overdue})) \
           AND ($8::timestamptz IS NULL OR received_at >= $8) \
           AND ($9::timestamptz IS NULL OR received_at < $9) \
           AND ($10::text IS NULL OR code LIKE $10) \
           AND {matching} \
           AND ($11::timestamptz IS NULL OR (filed_at, case_id) < ($11, $12::uuid)) \
         ORDER BY filed_at DESC, case_id DESC LIMIT $13",
        matching = applicant_matching(filter.applicant_terms.as_ref()),
        overdue = overdue_condition("$7"),
    );
    // Every parameter typed: a statement that does not search by applicant
    // does not mention $14.
    let types = [
        Type::TEXT_ARRAY,
        Type::TEXT_ARRAY,
        Type::INT2,
        Type::TEXT,
        Type::UUID,
        Type::BOOL,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::UUID,
        Type::INT8,
        Type::BYTEA_ARRAY,
    ];
    let mut client = pool.get().await?;
    // A search is planned for its very terms: how many applicants have each
    // (PostgreSQL's statistics know the common family names) decides whether
    // to start from the applicants found or from the newest cases; a plan
    // made once for any terms would pick one way for all.
    let transaction = client.transaction().await?;
    if filter.applicant_terms.is_some() {
        // Parallel workers take longer to start than a search takes.
        transaction
            .batch_execute(
                "SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL max_parallel_workers_per_gather = 0",
            )
            .await?;
    }
    let statement = transaction.prepare_typed_cached(&sql, &types).await?;
    let code = filter.code_contains.as_deref().map(like_pattern);
    let today_began = today_began(now);
    let rows = transaction
        .query(
            &statement,
            &[
                &filter.visible_units,
                &filter.units,
                &filter.status,
                &filter.procedure,
                &filter.assignee,
                &filter.overdue,
                &today_began,
                &filter.received_from,
                &filter.received_to,
                &code,
                &after.map(|c| c.filed_at),
                &after.map(|c| c.case_id),
                &(limit + 1),
                &terms,
            ],
        )
        .await?;
    transaction.commit().await?;
    let (cases, next) = page_of(&rows, limit, |row, case_id| Cursor { filed_at: row.get(2), case_id })?;
    Ok(Page { cases, next })
}

/// Cases with their folded state, in the order listed.
pub type Cases = Vec<(Uuid, CaseState)>;

/// Rows of `(case_id, state, …)` asked for `limit + 1` at a time: the first
/// `limit` cases, folded state decoded, and the cursor after the last one
/// when there is more.
pub(crate) fn page_of<C>(
    rows: &[tokio_postgres::Row],
    limit: i64,
    cursor: impl Fn(&tokio_postgres::Row, Uuid) -> C,
) -> Result<(Cases, Option<C>), ProjectionError> {
    let mut cases = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in rows.iter().take(usize::try_from(limit).unwrap_or(0)) {
        let id: Uuid = row.get(0);
        let state = crate::status::decode_state(row.get(1)).map_err(|e| ProjectionError::Event {
            position: 0,
            reason: format!("stored state of case {id} is unreadable: {e}"),
        })?;
        last = Some(cursor(row, id));
        cases.push((id, state));
    }
    Ok((cases, if rows.len() as i64 > limit { last } else { None }))
}

/// The case with this code, if the status view has it.
pub async fn case_by_code(pool: &Pool, code: &str) -> Result<Option<(Uuid, CaseState)>, ProjectionError> {
    let client = pool.get().await?;
    let statement = client.prepare_cached("SELECT case_id, state FROM case_status WHERE code = $1").await?;
    let Some(row) = client.query_opt(&statement, &[&code]).await? else {
        return Ok(None);
    };
    let id: Uuid = row.get(0);
    Ok(crate::status::decode_state(row.get(1)).ok().map(|state| (id, state)))
}

/// What an inspector's query across cases asks for.
#[derive(Debug, Clone)]
pub struct AuditFilter<'a> {
    /// The acting units the caller may see (and asked for).
    pub units: &'a [String],
    pub actor: Option<Uuid>,
    pub from: Timestamp,
    /// Exclusive.
    pub to: Timestamp,
    /// The last `seq` of the previous page.
    pub after: i64,
    pub limit: i64,
}

/// One change of a case as the audit query lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditChange {
    pub seq: i64,
    pub case_id: Uuid,
    pub event_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub acting_unit: String,
    pub at: Timestamp,
}

/// The case changes made in `filter.units` in the period, by `seq`.
pub async fn audit_changes(pool: &Pool, filter: &AuditFilter<'_>) -> Result<Vec<AuditChange>, ProjectionError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT seq, case_id, event_type, actor_id, actor_role, acting_unit, at \
             FROM case_changes \
             WHERE acting_unit = ANY($1) AND ($2::uuid IS NULL OR actor_id = $2) \
               AND at >= $3 AND at < $4 AND seq > $5 \
             ORDER BY seq LIMIT $6",
            &[&filter.units, &filter.actor, &filter.from, &filter.to, &filter.after, &filter.limit],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| AuditChange {
            seq: r.get(0),
            case_id: r.get(1),
            event_type: r.get(2),
            actor_id: r.get(3),
            actor_role: r.get(4),
            acting_unit: r.get(5),
            at: r.get(6),
        })
        .collect())
}
