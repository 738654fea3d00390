"""A frontend's first day, with nothing but a client generated from the served
OpenAPI document (openapi-python-client, unmodified): log in, file a case, walk
it to the returned result, read its audit trail, the report and the feed.

Every answer must be the documented status and parse into its typed model with
no field the document does not declare. Run by tests/tests/generated_clients.rs:

    python walk.py BASE_URL RECEIVING_UNIT HANDLING_UNIT PROCEDURE DAY
"""

import datetime
import sys

import attrs

from onestop_api_client import AuthenticatedClient, Client
from onestop_api_client.api.audit import control_slip, events, history, verify
from onestop_api_client.api.auth import issue_token
from onestop_api_client.api.cases import (
    acknowledge_handover,
    approve,
    create_case,
    get_case,
    list_,
    record_appraisal,
    record_result,
    return_result,
    submit_for_approval,
    transfer,
)
from onestop_api_client.api.catalog import get_procedure, list_units
from onestop_api_client.api.feed import feed
from onestop_api_client.api.public import public_lookup
from onestop_api_client.api.statistics import stats_report
from onestop_api_client.models import (
    ApplicantDto,
    AppraisalRequest,
    CaseList,
    CaseView,
    ChannelDto,
    ControlSlip,
    CreateCaseRequest,
    CreatedCase,
    FeedPage,
    NoFields,
    NoteRequest,
    ProcedureDto,
    ProposalDto,
    PublicStatus,
    RawEvent,
    Report,
    ResultRequest,
    ReturnMethodDto,
    ReturnRequest,
    TokenRequest,
    TokenResponse,
    TransferRequest,
    UnitDto,
    Verification,
)
from onestop_api_client.models.history_entry import HistoryEntry
from onestop_api_client.types import Unset

BASE, RECEIVING, HANDLING, PROCEDURE, DAY = sys.argv[1:6]
checked = 0


def strict(value, where="answer"):
    """Fails on any field the document does not declare, at any depth."""
    global checked
    if isinstance(value, list):
        for index, item in enumerate(value):
            strict(item, f"{where}[{index}]")
        return
    if not attrs.has(type(value)):
        return
    checked += 1
    extra = getattr(value, "additional_properties", {})
    # Raw event payloads are open by design: each event type has its own fields.
    if extra and type(value).__name__ != "EventPayload":
        raise AssertionError(f"{where}: undeclared fields {sorted(extra)}")
    for field in attrs.fields(type(value)):
        if field.name != "additional_properties":
            strict(getattr(value, field.name), f"{where}.{field.name}")


def answer(response, status, model):
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.content[:500]!r}"
    )
    parsed = response.parsed
    if model is list:
        assert isinstance(parsed, list), type(parsed)
    else:
        assert isinstance(parsed, model), f"{type(parsed).__name__} is not {model.__name__}"
    strict(parsed)
    return parsed


def session(username):
    anonymous = Client(base_url=BASE, raise_on_unexpected_status=True)
    token = answer(
        issue_token.sync_detailed(
            client=anonymous, body=TokenRequest(username=username, password="demo")
        ),
        200,
        TokenResponse,
    )
    assert token.token_type == "Bearer" and token.expires_in > 0
    return AuthenticatedClient(
        base_url=BASE, token=token.access_token, raise_on_unexpected_status=True
    )


reception = session("reception")
specialist = session("specialist")
approver = session("approver")
inspector = session("inspector")
statistician = session("statistician")
feed_client = session("feed")

units = answer(list_units.sync_detailed(client=reception), 200, list)
assert all(isinstance(unit, UnitDto) for unit in units)
strict(units)
procedure = answer(
    get_procedure.sync_detailed(PROCEDURE, client=reception), 200, ProcedureDto
)

created = answer(
    create_case.sync_detailed(
        client=reception,
        body=CreateCaseRequest(
            procedure_code=procedure.code,
            unit=RECEIVING,
            channel=ChannelDto.IN_PERSON,
            applicant=ApplicantDto(
                full_name="Trần Thị Bình",
                id_number="001199012345",
                phone="0987654321",
                address="Thôn Tây, xã An Bình",
                email="binh.tran@example.vn",
            ),
            documents=["Đơn đăng ký biến động đất đai"],
        ),
        idempotency_key="client-walk-1",
    ),
    201,
    CreatedCase,
)
case_id = created.id
version = f'"{created.version}"'
assert created.status == 2


def act(module, client, body, expected_status=None):
    global version
    case = answer(
        module.sync_detailed(case_id, client=client, body=body, if_match=version),
        200,
        CaseView,
    )
    version = f'"{case.version}"'
    if expected_status is not None:
        assert case.status == expected_status, (module.__name__, case.status)
    return case


act(transfer, reception, TransferRequest(to_unit=HANDLING, note="Chuyển xử lý"), 4)
act(acknowledge_handover, specialist, NoFields())
act(
    record_appraisal,
    specialist,
    AppraisalRequest(opinion="Đủ điều kiện", proposal=ProposalDto.GRANT),
)
act(submit_for_approval, specialist, NoteRequest())
act(approve, approver, NoteRequest(note="Đồng ý"))
act(record_result, approver, ResultRequest(summary="Đã chỉnh lý Giấy chứng nhận"), 9)
returned = act(return_result, reception, ReturnRequest(method=ReturnMethodDto.AT_DESK), 10)
assert returned.timeliness.state == "finished", returned.timeliness

read = answer(get_case.sync_detailed(case_id, client=reception), 200, CaseView)
assert read.version == returned.version
listed = answer(list_.sync_detailed(client=reception, q=created.code), 200, CaseList)
assert [item.id for item in listed.items] == [case_id]

lines = answer(history.sync_detailed(case_id, client=inspector), 200, list)
assert all(isinstance(line, HistoryEntry) for line in lines) and len(lines) == returned.version
raw = answer(events.sync_detailed(case_id, client=inspector), 200, list)
assert all(isinstance(event, RawEvent) for event in raw)
assert raw[0].event_type.value == "CaseReceived", raw[0].event_type
assert raw[-1].metadata.actor.name, raw[-1].metadata
answer(control_slip.sync_detailed(case_id, client=inspector), 200, ControlSlip)
assert answer(verify.sync_detailed(case_id, client=inspector), 200, Verification).intact

status = answer(
    public_lookup.sync_detailed(
        client=Client(base_url=BASE, raise_on_unexpected_status=True),
        code=created.code,
        secret=created.lookup_secret,
    ),
    200,
    PublicStatus,
)
assert status.status == 10

day = datetime.date.fromisoformat(DAY)
report = answer(
    stats_report.sync_detailed(client=statistician, from_=day, to=day, unit=RECEIVING),
    200,
    Report,
)
total = next(row for row in report.rows if row.key == "TOTAL")
assert total.received_total == 1 and total.resolved_total == 1, total

page = answer(feed.sync_detailed(client=feed_client, limit=100), 200, FeedPage)
records = [item.record for item in page.items if item.record.ma_ho_so == created.code]
assert len(records) == returned.version, len(records)
assert records[-1].trang_thai_ho_so == 10
assert records[0].ma_tthc == PROCEDURE
assert len(records[-1].ngay_tiep_nhan) == 14
assert not isinstance(records[-1].qua_trinh_xu_ly[0].noi_dung_xu_ly, Unset)

print(f"walked case {created.code}: {len(lines)} steps, {checked} typed objects checked")
