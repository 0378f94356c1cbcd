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

class ScoreFactor(_message.Message):
    __slots__ = ("factor", "points", "reason")
    FACTOR_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    factor: str
    points: int
    reason: str
    def __init__(self, factor: _Optional[str] = ..., points: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class Referral(_message.Message):
    __slots__ = ("referral_id", "case_id", "case_number", "agent_id", "kind", "product_interest", "notes", "estimated_value", "attached_at")
    REFERRAL_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_INTEREST_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_VALUE_FIELD_NUMBER: _ClassVar[int]
    ATTACHED_AT_FIELD_NUMBER: _ClassVar[int]
    referral_id: str
    case_id: str
    case_number: str
    agent_id: str
    kind: str
    product_interest: str
    notes: str
    estimated_value: Money
    attached_at: str
    def __init__(self, referral_id: _Optional[str] = ..., case_id: _Optional[str] = ..., case_number: _Optional[str] = ..., agent_id: _Optional[str] = ..., kind: _Optional[str] = ..., product_interest: _Optional[str] = ..., notes: _Optional[str] = ..., estimated_value: _Optional[_Union[Money, _Mapping]] = ..., attached_at: _Optional[str] = ...) -> None: ...

class Lead(_message.Message):
    __slots__ = ("id", "first_name", "last_name", "email", "company", "title", "phone", "industry", "country", "employees", "source", "status", "status_reason", "score", "score_factors", "owner_id", "referrals", "description", "created_at", "updated_at", "version", "conversion")
    ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FACTORS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    first_name: str
    last_name: str
    email: str
    company: str
    title: str
    phone: str
    industry: str
    country: str
    employees: int
    source: str
    status: str
    status_reason: str
    score: int
    score_factors: _containers.RepeatedCompositeFieldContainer[ScoreFactor]
    owner_id: str
    referrals: _containers.RepeatedCompositeFieldContainer[Referral]
    description: str
    created_at: str
    updated_at: str
    version: int
    conversion: Conversion
    def __init__(self, id: _Optional[str] = ..., first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., email: _Optional[str] = ..., company: _Optional[str] = ..., title: _Optional[str] = ..., phone: _Optional[str] = ..., industry: _Optional[str] = ..., country: _Optional[str] = ..., employees: _Optional[int] = ..., source: _Optional[str] = ..., status: _Optional[str] = ..., status_reason: _Optional[str] = ..., score: _Optional[int] = ..., score_factors: _Optional[_Iterable[_Union[ScoreFactor, _Mapping]]] = ..., owner_id: _Optional[str] = ..., referrals: _Optional[_Iterable[_Union[Referral, _Mapping]]] = ..., description: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., version: _Optional[int] = ..., conversion: _Optional[_Union[Conversion, _Mapping]] = ...) -> None: ...

class Conversion(_message.Message):
    __slots__ = ("account_id", "contact_id", "opportunity_id", "converted_at", "converted_by")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    CONVERTED_AT_FIELD_NUMBER: _ClassVar[int]
    CONVERTED_BY_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    contact_id: str
    opportunity_id: str
    converted_at: str
    converted_by: str
    def __init__(self, account_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., opportunity_id: _Optional[str] = ..., converted_at: _Optional[str] = ..., converted_by: _Optional[str] = ...) -> None: ...

class LeadFields(_message.Message):
    __slots__ = ("first_name", "last_name", "email", "company", "title", "phone", "industry", "country", "employees", "source", "status", "status_reason", "description")
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    first_name: str
    last_name: str
    email: str
    company: str
    title: str
    phone: str
    industry: str
    country: str
    employees: int
    source: str
    status: str
    status_reason: str
    description: str
    def __init__(self, first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., email: _Optional[str] = ..., company: _Optional[str] = ..., title: _Optional[str] = ..., phone: _Optional[str] = ..., industry: _Optional[str] = ..., country: _Optional[str] = ..., employees: _Optional[int] = ..., source: _Optional[str] = ..., status: _Optional[str] = ..., status_reason: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CreateLeadRequest(_message.Message):
    __slots__ = ("lead", "owner_id", "allow_duplicate", "validate_only")
    LEAD_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ALLOW_DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    lead: LeadFields
    owner_id: str
    allow_duplicate: bool
    validate_only: bool
    def __init__(self, lead: _Optional[_Union[LeadFields, _Mapping]] = ..., owner_id: _Optional[str] = ..., allow_duplicate: _Optional[bool] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class GetLeadRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ListLeadsRequest(_message.Message):
    __slots__ = ("status", "owner_id", "source", "q", "page_size", "page_token", "account_id", "email_domain")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_DOMAIN_FIELD_NUMBER: _ClassVar[int]
    status: str
    owner_id: str
    source: str
    q: str
    page_size: int
    page_token: str
    account_id: str
    email_domain: str
    def __init__(self, status: _Optional[str] = ..., owner_id: _Optional[str] = ..., source: _Optional[str] = ..., q: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., account_id: _Optional[str] = ..., email_domain: _Optional[str] = ...) -> None: ...

class ListLeadsReply(_message.Message):
    __slots__ = ("leads", "next_page_token")
    LEADS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    leads: _containers.RepeatedCompositeFieldContainer[Lead]
    next_page_token: str
    def __init__(self, leads: _Optional[_Iterable[_Union[Lead, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateLeadRequest(_message.Message):
    __slots__ = ("id", "changes", "clear", "owner_id", "expected_version", "validate_only")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    id: str
    changes: LeadFields
    clear: _containers.RepeatedScalarFieldContainer[str]
    owner_id: str
    expected_version: int
    validate_only: bool
    def __init__(self, id: _Optional[str] = ..., changes: _Optional[_Union[LeadFields, _Mapping]] = ..., clear: _Optional[_Iterable[str]] = ..., owner_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class GetLeadHistoryRequest(_message.Message):
    __slots__ = ("id", "page_size", "page_token")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    page_size: int
    page_token: str
    def __init__(self, id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("seq", "at", "actor_id", "action", "changes_json", "note", "correlation_id")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_JSON_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    seq: int
    at: str
    actor_id: str
    action: str
    changes_json: str
    note: str
    correlation_id: str
    def __init__(self, seq: _Optional[int] = ..., at: _Optional[str] = ..., actor_id: _Optional[str] = ..., action: _Optional[str] = ..., changes_json: _Optional[str] = ..., note: _Optional[str] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class LeadHistoryReply(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetSettingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PutSettingRequest(_message.Message):
    __slots__ = ("document_json", "expected_version")
    DOCUMENT_JSON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    document_json: str
    expected_version: int
    def __init__(self, document_json: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class Setting(_message.Message):
    __slots__ = ("document_json", "version", "updated_at", "updated_by")
    DOCUMENT_JSON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    document_json: str
    version: int
    updated_at: str
    updated_by: str
    def __init__(self, document_json: _Optional[str] = ..., version: _Optional[int] = ..., updated_at: _Optional[str] = ..., updated_by: _Optional[str] = ...) -> None: ...

class ConvertLeadRequest(_message.Message):
    __slots__ = ("id", "account_id", "opportunity_name", "amount", "close_date", "expected_version", "validate_only")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITY_NAME_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSE_DATE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    id: str
    account_id: str
    opportunity_name: str
    amount: Money
    close_date: str
    expected_version: int
    validate_only: bool
    def __init__(self, id: _Optional[str] = ..., account_id: _Optional[str] = ..., opportunity_name: _Optional[str] = ..., amount: _Optional[_Union[Money, _Mapping]] = ..., close_date: _Optional[str] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ConvertLeadReply(_message.Message):
    __slots__ = ("lead_id", "account_id", "contact_id", "opportunity_id", "account_created", "replayed", "lead")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_CREATED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    LEAD_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    account_id: str
    contact_id: str
    opportunity_id: str
    account_created: bool
    replayed: bool
    lead: Lead
    def __init__(self, lead_id: _Optional[str] = ..., account_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., opportunity_id: _Optional[str] = ..., account_created: _Optional[bool] = ..., replayed: _Optional[bool] = ..., lead: _Optional[_Union[Lead, _Mapping]] = ...) -> None: ...
