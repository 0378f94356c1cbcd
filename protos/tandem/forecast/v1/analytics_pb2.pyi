from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AnalyticsRequest(_message.Message):
    __slots__ = ("period", "user_id")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    period: str
    user_id: str
    def __init__(self, period: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class AnalyticsUnconverted(_message.Message):
    __slots__ = ("currency", "count", "amount")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    currency: str
    count: int
    amount: str
    def __init__(self, currency: _Optional[str] = ..., count: _Optional[int] = ..., amount: _Optional[str] = ...) -> None: ...

class StageTotal(_message.Message):
    __slots__ = ("stage", "is_closed", "is_won", "count", "amount")
    STAGE_FIELD_NUMBER: _ClassVar[int]
    IS_CLOSED_FIELD_NUMBER: _ClassVar[int]
    IS_WON_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    stage: str
    is_closed: bool
    is_won: bool
    count: int
    amount: str
    def __init__(self, stage: _Optional[str] = ..., is_closed: _Optional[bool] = ..., is_won: _Optional[bool] = ..., count: _Optional[int] = ..., amount: _Optional[str] = ...) -> None: ...

class PipelineReply(_message.Message):
    __slots__ = ("period", "user_id", "currency", "period_start", "period_end", "stages", "open_count", "open_amount", "closed_count", "closed_amount", "unconverted")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    OPEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    OPEN_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_COUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    UNCONVERTED_FIELD_NUMBER: _ClassVar[int]
    period: str
    user_id: str
    currency: str
    period_start: str
    period_end: str
    stages: _containers.RepeatedCompositeFieldContainer[StageTotal]
    open_count: int
    open_amount: str
    closed_count: int
    closed_amount: str
    unconverted: _containers.RepeatedCompositeFieldContainer[AnalyticsUnconverted]
    def __init__(self, period: _Optional[str] = ..., user_id: _Optional[str] = ..., currency: _Optional[str] = ..., period_start: _Optional[str] = ..., period_end: _Optional[str] = ..., stages: _Optional[_Iterable[_Union[StageTotal, _Mapping]]] = ..., open_count: _Optional[int] = ..., open_amount: _Optional[str] = ..., closed_count: _Optional[int] = ..., closed_amount: _Optional[str] = ..., unconverted: _Optional[_Iterable[_Union[AnalyticsUnconverted, _Mapping]]] = ...) -> None: ...

class WinRate(_message.Message):
    __slots__ = ("won_count", "closed_count", "won_amount", "closed_amount", "by_count", "by_amount")
    WON_COUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_COUNT_FIELD_NUMBER: _ClassVar[int]
    WON_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    BY_COUNT_FIELD_NUMBER: _ClassVar[int]
    BY_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    won_count: int
    closed_count: int
    won_amount: str
    closed_amount: str
    by_count: str
    by_amount: str
    def __init__(self, won_count: _Optional[int] = ..., closed_count: _Optional[int] = ..., won_amount: _Optional[str] = ..., closed_amount: _Optional[str] = ..., by_count: _Optional[str] = ..., by_amount: _Optional[str] = ...) -> None: ...

class AverageDeal(_message.Message):
    __slots__ = ("count", "total", "average")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_FIELD_NUMBER: _ClassVar[int]
    count: int
    total: str
    average: str
    def __init__(self, count: _Optional[int] = ..., total: _Optional[str] = ..., average: _Optional[str] = ...) -> None: ...

class SalesCycle(_message.Message):
    __slots__ = ("count", "total_days", "average_days")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DAYS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_DAYS_FIELD_NUMBER: _ClassVar[int]
    count: int
    total_days: int
    average_days: str
    def __init__(self, count: _Optional[int] = ..., total_days: _Optional[int] = ..., average_days: _Optional[str] = ...) -> None: ...

class Funnel(_message.Message):
    __slots__ = ("leads_created", "leads_converted", "opportunities_created", "opportunities_from_leads", "opportunities_won")
    LEADS_CREATED_FIELD_NUMBER: _ClassVar[int]
    LEADS_CONVERTED_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITIES_CREATED_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITIES_FROM_LEADS_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITIES_WON_FIELD_NUMBER: _ClassVar[int]
    leads_created: int
    leads_converted: int
    opportunities_created: int
    opportunities_from_leads: int
    opportunities_won: int
    def __init__(self, leads_created: _Optional[int] = ..., leads_converted: _Optional[int] = ..., opportunities_created: _Optional[int] = ..., opportunities_from_leads: _Optional[int] = ..., opportunities_won: _Optional[int] = ...) -> None: ...

class ReferralRevenue(_message.Message):
    __slots__ = ("id", "name", "pipeline_count", "pipeline_amount", "won_count", "won_amount")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    WON_COUNT_FIELD_NUMBER: _ClassVar[int]
    WON_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    pipeline_count: int
    pipeline_amount: str
    won_count: int
    won_amount: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., pipeline_count: _Optional[int] = ..., pipeline_amount: _Optional[str] = ..., won_count: _Optional[int] = ..., won_amount: _Optional[str] = ...) -> None: ...

class AnalyticsReply(_message.Message):
    __slots__ = ("period", "user_id", "currency", "period_start", "period_end", "win_rate", "average_won_deal", "sales_cycle", "funnel", "referral_total", "referrals_by_agent", "referrals_by_team", "unconverted")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    PERIOD_END_FIELD_NUMBER: _ClassVar[int]
    WIN_RATE_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_WON_DEAL_FIELD_NUMBER: _ClassVar[int]
    SALES_CYCLE_FIELD_NUMBER: _ClassVar[int]
    FUNNEL_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_TOTAL_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_BY_AGENT_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_BY_TEAM_FIELD_NUMBER: _ClassVar[int]
    UNCONVERTED_FIELD_NUMBER: _ClassVar[int]
    period: str
    user_id: str
    currency: str
    period_start: str
    period_end: str
    win_rate: WinRate
    average_won_deal: AverageDeal
    sales_cycle: SalesCycle
    funnel: Funnel
    referral_total: ReferralRevenue
    referrals_by_agent: _containers.RepeatedCompositeFieldContainer[ReferralRevenue]
    referrals_by_team: _containers.RepeatedCompositeFieldContainer[ReferralRevenue]
    unconverted: _containers.RepeatedCompositeFieldContainer[AnalyticsUnconverted]
    def __init__(self, period: _Optional[str] = ..., user_id: _Optional[str] = ..., currency: _Optional[str] = ..., period_start: _Optional[str] = ..., period_end: _Optional[str] = ..., win_rate: _Optional[_Union[WinRate, _Mapping]] = ..., average_won_deal: _Optional[_Union[AverageDeal, _Mapping]] = ..., sales_cycle: _Optional[_Union[SalesCycle, _Mapping]] = ..., funnel: _Optional[_Union[Funnel, _Mapping]] = ..., referral_total: _Optional[_Union[ReferralRevenue, _Mapping]] = ..., referrals_by_agent: _Optional[_Iterable[_Union[ReferralRevenue, _Mapping]]] = ..., referrals_by_team: _Optional[_Iterable[_Union[ReferralRevenue, _Mapping]]] = ..., unconverted: _Optional[_Iterable[_Union[AnalyticsUnconverted, _Mapping]]] = ...) -> None: ...

class ReportsGetRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class ReportsListRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ReportsDeleteRequest(_message.Message):
    __slots__ = ("id", "expected_version")
    ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    expected_version: int
    def __init__(self, id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ReportsDeleteReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Report(_message.Message):
    __slots__ = ("id", "name", "owner_id", "definition_json", "version", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_JSON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    owner_id: str
    definition_json: str
    version: int
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., owner_id: _Optional[str] = ..., definition_json: _Optional[str] = ..., version: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class CreateReportRequest(_message.Message):
    __slots__ = ("name", "definition_json", "validate_only")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEFINITION_JSON_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    name: str
    definition_json: str
    validate_only: bool
    def __init__(self, name: _Optional[str] = ..., definition_json: _Optional[str] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdateReportRequest(_message.Message):
    __slots__ = ("id", "name", "changes_json", "expected_version", "validate_only")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CHANGES_JSON_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    changes_json: str
    expected_version: int
    validate_only: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., changes_json: _Optional[str] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ListReportsReply(_message.Message):
    __slots__ = ("reports", "next_page_token")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[Report]
    next_page_token: str
    def __init__(self, reports: _Optional[_Iterable[_Union[Report, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ReportResult(_message.Message):
    __slots__ = ("report_id", "result_json")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    result_json: str
    def __init__(self, report_id: _Optional[str] = ..., result_json: _Optional[str] = ...) -> None: ...

class Dashboard(_message.Message):
    __slots__ = ("id", "name", "owner_id", "report_ids", "version", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_IDS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    owner_id: str
    report_ids: _containers.RepeatedScalarFieldContainer[str]
    version: int
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., owner_id: _Optional[str] = ..., report_ids: _Optional[_Iterable[str]] = ..., version: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class CreateDashboardRequest(_message.Message):
    __slots__ = ("name", "report_ids", "validate_only")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPORT_IDS_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    name: str
    report_ids: _containers.RepeatedScalarFieldContainer[str]
    validate_only: bool
    def __init__(self, name: _Optional[str] = ..., report_ids: _Optional[_Iterable[str]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdateDashboardRequest(_message.Message):
    __slots__ = ("id", "name", "replace_reports", "report_ids", "expected_version", "validate_only")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REPLACE_REPORTS_FIELD_NUMBER: _ClassVar[int]
    REPORT_IDS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    replace_reports: bool
    report_ids: _containers.RepeatedScalarFieldContainer[str]
    expected_version: int
    validate_only: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., replace_reports: _Optional[bool] = ..., report_ids: _Optional[_Iterable[str]] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ListDashboardsReply(_message.Message):
    __slots__ = ("dashboards", "next_page_token")
    DASHBOARDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    dashboards: _containers.RepeatedCompositeFieldContainer[Dashboard]
    next_page_token: str
    def __init__(self, dashboards: _Optional[_Iterable[_Union[Dashboard, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DashboardResult(_message.Message):
    __slots__ = ("dashboard", "reports")
    DASHBOARD_FIELD_NUMBER: _ClassVar[int]
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    dashboard: Dashboard
    reports: _containers.RepeatedCompositeFieldContainer[ReportRun]
    def __init__(self, dashboard: _Optional[_Union[Dashboard, _Mapping]] = ..., reports: _Optional[_Iterable[_Union[ReportRun, _Mapping]]] = ...) -> None: ...

class ReportRun(_message.Message):
    __slots__ = ("report", "result_json")
    REPORT_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    report: Report
    result_json: str
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ..., result_json: _Optional[str] = ...) -> None: ...
