// What a TypeScript frontend writes against the types openapi-typescript
// generates from the served document (into ./generated, not committed).
import type { components, paths } from "./generated/schema";

type FeedPage =
  paths["/api/v1/feed"]["get"]["responses"][200]["content"]["application/json"];
type DvcqgRecord = components["schemas"]["DvcqgRecord"];
type CaseView = components["schemas"]["CaseView"];
type RawEvent = components["schemas"]["RawEvent"];

/** The case codes of a feed page, in order. */
export function caseCodes(page: FeedPage): string[] {
  return page.items.map((item) => item.record.MaHoSo ?? "");
}

/** One line for a dashboard: code, portal status, what was done and when. */
export function progressLine(record: DvcqgRecord): string {
  const step = record.QuaTrinhXuLy[0];
  const status: number | null = record.TrangThaiHoSo;
  return `${record.MaHoSo ?? "?"} ${status ?? "-"} ${step?.NoiDungXuLy ?? ""} ${step?.ThoiDiemXuLy ?? ""}`;
}

/** Whether a case is past its due date, from its timeliness. */
export function overdue(view: CaseView): boolean {
  return view.timeliness?.class === "late" || view.timeliness?.class === "overdue";
}

/** The officer behind an event, as stored. */
export function actorOf(event: RawEvent): string {
  const kind: components["schemas"]["CaseEventType"] = event.event_type;
  return `${kind}: ${event.metadata.actor?.name ?? "system"}`;
}

// The record is typed: a field the portal does not have is a compile error.
// @ts-expect-error MaHoSoKhac is not a field of the DVCQG record
export const notAField = (record: DvcqgRecord) => record.MaHoSoKhac;
