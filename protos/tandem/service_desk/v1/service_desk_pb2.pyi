from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Money(_message.Message):
    __slots__ = ("amount", "currency")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    amount: str
    currency: str
    def __init__(self, amount: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class Contact(_message.Message):
    __slots__ = ("name", "email", "phone", "company")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    name: str
    email: str
    phone: str
    company: str
    def __init__(self, name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., company: _Optional[str] = ...) -> None: ...

class Sla(_message.Message):
    __slots__ = ("first_response_due", "resolution_due", "first_responded_at", "resolved_at", "first_response_breached", "resolution_breached", "at_risk")
    FIRST_RESPONSE_DUE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_DUE_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONDED_AT_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_BREACHED_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_BREACHED_FIELD_NUMBER: _ClassVar[int]
    AT_RISK_FIELD_NUMBER: _ClassVar[int]
    first_response_due: str
    resolution_due: str
    first_responded_at: str
    resolved_at: str
    first_response_breached: bool
    resolution_breached: bool
    at_risk: bool
    def __init__(self, first_response_due: _Optional[str] = ..., resolution_due: _Optional[str] = ..., first_responded_at: _Optional[str] = ..., resolved_at: _Optional[str] = ..., first_response_breached: _Optional[bool] = ..., resolution_breached: _Optional[bool] = ..., at_risk: _Optional[bool] = ...) -> None: ...

class Referral(_message.Message):
    __slots__ = ("id", "case_id", "agent_id", "kind", "status", "lead_id", "assignee_id", "product_interest", "notes", "estimated_value", "reason", "created_at", "updated_at", "version", "opportunity_id", "outcome_amount")
    ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_INTEREST_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_VALUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    case_id: str
    agent_id: str
    kind: str
    status: str
    lead_id: str
    assignee_id: str
    product_interest: str
    notes: str
    estimated_value: Money
    reason: str
    created_at: str
    updated_at: str
    version: int
    opportunity_id: str
    outcome_amount: Money
    def __init__(self, id: _Optional[str] = ..., case_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., kind: _Optional[str] = ..., status: _Optional[str] = ..., lead_id: _Optional[str] = ..., assignee_id: _Optional[str] = ..., product_interest: _Optional[str] = ..., notes: _Optional[str] = ..., estimated_value: _Optional[_Union[Money, _Mapping]] = ..., reason: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., version: _Optional[int] = ..., opportunity_id: _Optional[str] = ..., outcome_amount: _Optional[_Union[Money, _Mapping]] = ...) -> None: ...

class Case(_message.Message):
    __slots__ = ("id", "number", "subject", "description", "status", "priority", "origin", "account_id", "contact", "owner_id", "sla", "created_at", "updated_at", "version", "referrals")
    ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    SLA_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    id: str
    number: str
    subject: str
    description: str
    status: str
    priority: str
    origin: str
    account_id: str
    contact: Contact
    owner_id: str
    sla: Sla
    created_at: str
    updated_at: str
    version: int
    referrals: _containers.RepeatedCompositeFieldContainer[Referral]
    def __init__(self, id: _Optional[str] = ..., number: _Optional[str] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[str] = ..., priority: _Optional[str] = ..., origin: _Optional[str] = ..., account_id: _Optional[str] = ..., contact: _Optional[_Union[Contact, _Mapping]] = ..., owner_id: _Optional[str] = ..., sla: _Optional[_Union[Sla, _Mapping]] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., version: _Optional[int] = ..., referrals: _Optional[_Iterable[_Union[Referral, _Mapping]]] = ...) -> None: ...

class CreateCaseRequest(_message.Message):
    __slots__ = ("subject", "description", "priority", "origin", "account_id", "contact", "owner_id")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    subject: str
    description: str
    priority: str
    origin: str
    account_id: str
    contact: Contact
    owner_id: str
    def __init__(self, subject: _Optional[str] = ..., description: _Optional[str] = ..., priority: _Optional[str] = ..., origin: _Optional[str] = ..., account_id: _Optional[str] = ..., contact: _Optional[_Union[Contact, _Mapping]] = ..., owner_id: _Optional[str] = ...) -> None: ...

class GetCaseRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListCasesRequest(_message.Message):
    __slots__ = ("status", "owner_id", "account_id", "q", "page_size", "page_token")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    status: str
    owner_id: str
    account_id: str
    q: str
    page_size: int
    page_token: str
    def __init__(self, status: _Optional[str] = ..., owner_id: _Optional[str] = ..., account_id: _Optional[str] = ..., q: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCasesReply(_message.Message):
    __slots__ = ("cases", "next_page_token")
    CASES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    cases: _containers.RepeatedCompositeFieldContainer[Case]
    next_page_token: str
    def __init__(self, cases: _Optional[_Iterable[_Union[Case, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateCaseRequest(_message.Message):
    __slots__ = ("id", "expected_version", "subject", "description", "status", "priority", "origin", "account_id", "contact", "owner_id", "cleared")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    CLEARED_FIELD_NUMBER: _ClassVar[int]
    id: str
    expected_version: int
    subject: str
    description: str
    status: str
    priority: str
    origin: str
    account_id: str
    contact: Contact
    owner_id: str
    cleared: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., expected_version: _Optional[int] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ..., status: _Optional[str] = ..., priority: _Optional[str] = ..., origin: _Optional[str] = ..., account_id: _Optional[str] = ..., contact: _Optional[_Union[Contact, _Mapping]] = ..., owner_id: _Optional[str] = ..., cleared: _Optional[_Iterable[str]] = ...) -> None: ...

class AddCommentRequest(_message.Message):
    __slots__ = ("case_id", "body", "internal")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    body: str
    internal: bool
    def __init__(self, case_id: _Optional[str] = ..., body: _Optional[str] = ..., internal: _Optional[bool] = ...) -> None: ...

class Comment(_message.Message):
    __slots__ = ("id", "case_id", "author_id", "body", "internal", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    case_id: str
    author_id: str
    body: str
    internal: bool
    created_at: str
    def __init__(self, id: _Optional[str] = ..., case_id: _Optional[str] = ..., author_id: _Optional[str] = ..., body: _Optional[str] = ..., internal: _Optional[bool] = ..., created_at: _Optional[str] = ...) -> None: ...

class ListCommentsRequest(_message.Message):
    __slots__ = ("case_id", "page_size", "page_token")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    page_size: int
    page_token: str
    def __init__(self, case_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCommentsReply(_message.Message):
    __slots__ = ("comments", "next_page_token")
    COMMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    comments: _containers.RepeatedCompositeFieldContainer[Comment]
    next_page_token: str
    def __init__(self, comments: _Optional[_Iterable[_Union[Comment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("at", "actor_id", "field", "from_json", "to_json")
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    FROM_JSON_FIELD_NUMBER: _ClassVar[int]
    TO_JSON_FIELD_NUMBER: _ClassVar[int]
    at: str
    actor_id: str
    field: str
    from_json: str
    to_json: str
    def __init__(self, at: _Optional[str] = ..., actor_id: _Optional[str] = ..., field: _Optional[str] = ..., from_json: _Optional[str] = ..., to_json: _Optional[str] = ...) -> None: ...

class ListHistoryRequest(_message.Message):
    __slots__ = ("case_id", "page_size", "page_token")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    page_size: int
    page_token: str
    def __init__(self, case_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListHistoryReply(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SubmitReferralRequest(_message.Message):
    __slots__ = ("case_id", "kind", "product_interest", "notes", "estimated_value")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_INTEREST_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_VALUE_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    kind: str
    product_interest: str
    notes: str
    estimated_value: Money
    def __init__(self, case_id: _Optional[str] = ..., kind: _Optional[str] = ..., product_interest: _Optional[str] = ..., notes: _Optional[str] = ..., estimated_value: _Optional[_Union[Money, _Mapping]] = ...) -> None: ...

class ListReferralsRequest(_message.Message):
    __slots__ = ("case_id",)
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    def __init__(self, case_id: _Optional[str] = ...) -> None: ...

class ListReferralsReply(_message.Message):
    __slots__ = ("referrals",)
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    referrals: _containers.RepeatedCompositeFieldContainer[Referral]
    def __init__(self, referrals: _Optional[_Iterable[_Union[Referral, _Mapping]]] = ...) -> None: ...
