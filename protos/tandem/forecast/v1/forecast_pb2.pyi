from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Numbers(_message.Message):
    __slots__ = ("closed", "commit", "best_case", "open_pipeline")
    CLOSED_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    BEST_CASE_FIELD_NUMBER: _ClassVar[int]
    OPEN_PIPELINE_FIELD_NUMBER: _ClassVar[int]
    closed: str
    commit: str
    best_case: str
    open_pipeline: str
    def __init__(self, closed: _Optional[str] = ..., commit: _Optional[str] = ..., best_case: _Optional[str] = ..., open_pipeline: _Optional[str] = ...) -> None: ...

class CurrentAdjustment(_message.Message):
    __slots__ = ("category", "amount", "reason", "author_id", "created_at", "id")
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    category: str
    amount: str
    reason: str
    author_id: str
    created_at: str
    id: int
    def __init__(self, category: _Optional[str] = ..., amount: _Optional[str] = ..., reason: _Optional[str] = ..., author_id: _Optional[str] = ..., created_at: _Optional[str] = ..., id: _Optional[int] = ...) -> None: ...

class Unconverted(_message.Message):
    __slots__ = ("currency", "count", "amount")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    currency: str
    count: int
    amount: str
    def __init__(self, currency: _Optional[str] = ..., count: _Optional[int] = ..., amount: _Optional[str] = ...) -> None: ...

class Forecast(_message.Message):
    __slots__ = ("user_id", "user_name", "active", "period", "first_day", "last_day", "currency", "quota", "attainment", "adjusted", "unadjusted", "adjustments", "unconverted", "children")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    USER_NAME_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    FIRST_DAY_FIELD_NUMBER: _ClassVar[int]
    LAST_DAY_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    QUOTA_FIELD_NUMBER: _ClassVar[int]
    ATTAINMENT_FIELD_NUMBER: _ClassVar[int]
    ADJUSTED_FIELD_NUMBER: _ClassVar[int]
    UNADJUSTED_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENTS_FIELD_NUMBER: _ClassVar[int]
    UNCONVERTED_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    user_name: str
    active: bool
    period: str
    first_day: str
    last_day: str
    currency: str
    quota: str
    attainment: str
    adjusted: Numbers
    unadjusted: Numbers
    adjustments: _containers.RepeatedCompositeFieldContainer[CurrentAdjustment]
    unconverted: _containers.RepeatedCompositeFieldContainer[Unconverted]
    children: _containers.RepeatedCompositeFieldContainer[Forecast]
    def __init__(self, user_id: _Optional[str] = ..., user_name: _Optional[str] = ..., active: _Optional[bool] = ..., period: _Optional[str] = ..., first_day: _Optional[str] = ..., last_day: _Optional[str] = ..., currency: _Optional[str] = ..., quota: _Optional[str] = ..., attainment: _Optional[str] = ..., adjusted: _Optional[_Union[Numbers, _Mapping]] = ..., unadjusted: _Optional[_Union[Numbers, _Mapping]] = ..., adjustments: _Optional[_Iterable[_Union[CurrentAdjustment, _Mapping]]] = ..., unconverted: _Optional[_Iterable[_Union[Unconverted, _Mapping]]] = ..., children: _Optional[_Iterable[_Union[Forecast, _Mapping]]] = ...) -> None: ...

class GetForecastRequest(_message.Message):
    __slots__ = ("period", "user_id")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    period: str
    user_id: str
    def __init__(self, period: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class AdjustForecastRequest(_message.Message):
    __slots__ = ("user_id", "period", "category", "amount", "reason", "validate_only")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    period: str
    category: str
    amount: str
    reason: str
    validate_only: bool
    def __init__(self, user_id: _Optional[str] = ..., period: _Optional[str] = ..., category: _Optional[str] = ..., amount: _Optional[str] = ..., reason: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class Adjustment(_message.Message):
    __slots__ = ("id", "user_id", "period", "category", "amount", "previous_amount", "currency", "reason", "author_id", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    user_id: str
    period: str
    category: str
    amount: str
    previous_amount: str
    currency: str
    reason: str
    author_id: str
    created_at: str
    def __init__(self, id: _Optional[int] = ..., user_id: _Optional[str] = ..., period: _Optional[str] = ..., category: _Optional[str] = ..., amount: _Optional[str] = ..., previous_amount: _Optional[str] = ..., currency: _Optional[str] = ..., reason: _Optional[str] = ..., author_id: _Optional[str] = ..., created_at: _Optional[str] = ...) -> None: ...

class ListAdjustmentsRequest(_message.Message):
    __slots__ = ("user_id", "period", "category")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    period: str
    category: str
    def __init__(self, user_id: _Optional[str] = ..., period: _Optional[str] = ..., category: _Optional[str] = ...) -> None: ...

class ListAdjustmentsReply(_message.Message):
    __slots__ = ("adjustments",)
    ADJUSTMENTS_FIELD_NUMBER: _ClassVar[int]
    adjustments: _containers.RepeatedCompositeFieldContainer[Adjustment]
    def __init__(self, adjustments: _Optional[_Iterable[_Union[Adjustment, _Mapping]]] = ...) -> None: ...

class SetQuotaRequest(_message.Message):
    __slots__ = ("user_id", "period", "amount", "expected_version", "validate_only")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    period: str
    amount: str
    expected_version: int
    validate_only: bool
    def __init__(self, user_id: _Optional[str] = ..., period: _Optional[str] = ..., amount: _Optional[str] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class Quota(_message.Message):
    __slots__ = ("user_id", "period", "amount", "currency", "version", "updated_at", "updated_by")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    period: str
    amount: str
    currency: str
    version: int
    updated_at: str
    updated_by: str
    def __init__(self, user_id: _Optional[str] = ..., period: _Optional[str] = ..., amount: _Optional[str] = ..., currency: _Optional[str] = ..., version: _Optional[int] = ..., updated_at: _Optional[str] = ..., updated_by: _Optional[str] = ...) -> None: ...

class ListQuotasRequest(_message.Message):
    __slots__ = ("period", "user_id")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    period: str
    user_id: str
    def __init__(self, period: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class ListQuotasReply(_message.Message):
    __slots__ = ("quotas",)
    QUOTAS_FIELD_NUMBER: _ClassVar[int]
    quotas: _containers.RepeatedCompositeFieldContainer[Quota]
    def __init__(self, quotas: _Optional[_Iterable[_Union[Quota, _Mapping]]] = ...) -> None: ...

class ListForecastOpportunitiesRequest(_message.Message):
    __slots__ = ("period", "user_id", "category", "page_size", "page_token")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    period: str
    user_id: str
    category: str
    page_size: int
    page_token: str
    def __init__(self, period: _Optional[str] = ..., user_id: _Optional[str] = ..., category: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ForecastOpportunity(_message.Message):
    __slots__ = ("id", "name", "account_id", "account_name", "owner_id", "owner_name", "stage", "probability", "forecast_category", "amount", "currency", "forecast_amount", "close_date", "is_closed", "is_won")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_NAME_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    FORECAST_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    FORECAST_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSE_DATE_FIELD_NUMBER: _ClassVar[int]
    IS_CLOSED_FIELD_NUMBER: _ClassVar[int]
    IS_WON_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    account_id: str
    account_name: str
    owner_id: str
    owner_name: str
    stage: str
    probability: int
    forecast_category: str
    amount: str
    currency: str
    forecast_amount: str
    close_date: str
    is_closed: bool
    is_won: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., account_id: _Optional[str] = ..., account_name: _Optional[str] = ..., owner_id: _Optional[str] = ..., owner_name: _Optional[str] = ..., stage: _Optional[str] = ..., probability: _Optional[int] = ..., forecast_category: _Optional[str] = ..., amount: _Optional[str] = ..., currency: _Optional[str] = ..., forecast_amount: _Optional[str] = ..., close_date: _Optional[str] = ..., is_closed: _Optional[bool] = ..., is_won: _Optional[bool] = ...) -> None: ...

class ListForecastOpportunitiesReply(_message.Message):
    __slots__ = ("opportunities", "next_page_token", "currency")
    OPPORTUNITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    opportunities: _containers.RepeatedCompositeFieldContainer[ForecastOpportunity]
    next_page_token: str
    currency: str
    def __init__(self, opportunities: _Optional[_Iterable[_Union[ForecastOpportunity, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class GetForecastSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PutForecastSettingsRequest(_message.Message):
    __slots__ = ("document_json", "expected_version")
    DOCUMENT_JSON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    document_json: str
    expected_version: int
    def __init__(self, document_json: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ForecastSettings(_message.Message):
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
