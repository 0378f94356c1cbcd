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

class GetRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("id", "name", "domain", "industry", "employees", "country", "website", "phone", "description", "owner_id", "parent_id", "created_at", "updated_at", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEES_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    domain: str
    industry: str
    employees: int
    country: str
    website: str
    phone: str
    description: str
    owner_id: str
    parent_id: str
    created_at: str
    updated_at: str
    version: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., domain: _Optional[str] = ..., industry: _Optional[str] = ..., employees: _Optional[int] = ..., country: _Optional[str] = ..., website: _Optional[str] = ..., phone: _Optional[str] = ..., description: _Optional[str] = ..., owner_id: _Optional[str] = ..., parent_id: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class AccountFields(_message.Message):
    __slots__ = ("name", "domain", "industry", "employees", "country", "website", "phone", "description", "owner_id", "parent_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEES_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    WEBSITE_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    domain: str
    industry: str
    employees: int
    country: str
    website: str
    phone: str
    description: str
    owner_id: str
    parent_id: str
    def __init__(self, name: _Optional[str] = ..., domain: _Optional[str] = ..., industry: _Optional[str] = ..., employees: _Optional[int] = ..., country: _Optional[str] = ..., website: _Optional[str] = ..., phone: _Optional[str] = ..., description: _Optional[str] = ..., owner_id: _Optional[str] = ..., parent_id: _Optional[str] = ...) -> None: ...

class CreateAccountRequest(_message.Message):
    __slots__ = ("account", "validate_only")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    account: AccountFields
    validate_only: bool
    def __init__(self, account: _Optional[_Union[AccountFields, _Mapping]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdateAccountRequest(_message.Message):
    __slots__ = ("id", "changes", "clear", "expected_version", "validate_only")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    id: str
    changes: AccountFields
    clear: _containers.RepeatedScalarFieldContainer[str]
    expected_version: int
    validate_only: bool
    def __init__(self, id: _Optional[str] = ..., changes: _Optional[_Union[AccountFields, _Mapping]] = ..., clear: _Optional[_Iterable[str]] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ListAccountsRequest(_message.Message):
    __slots__ = ("owner_id", "q", "domain", "parent_id", "page_size", "page_token")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    q: str
    domain: str
    parent_id: str
    page_size: int
    page_token: str
    def __init__(self, owner_id: _Optional[str] = ..., q: _Optional[str] = ..., domain: _Optional[str] = ..., parent_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAccountsReply(_message.Message):
    __slots__ = ("accounts", "next_page_token")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    next_page_token: str
    def __init__(self, accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetAccountOverviewRequest(_message.Message):
    __slots__ = ("id", "activity_limit")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    id: str
    activity_limit: int
    def __init__(self, id: _Optional[str] = ..., activity_limit: _Optional[int] = ...) -> None: ...

class AccountOverview(_message.Message):
    __slots__ = ("account", "contacts", "open_opportunities", "closed_opportunities", "recent_activities", "children")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    OPEN_OPPORTUNITIES_FIELD_NUMBER: _ClassVar[int]
    CLOSED_OPPORTUNITIES_FIELD_NUMBER: _ClassVar[int]
    RECENT_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    account: Account
    contacts: _containers.RepeatedCompositeFieldContainer[Contact]
    open_opportunities: _containers.RepeatedCompositeFieldContainer[Opportunity]
    closed_opportunities: _containers.RepeatedCompositeFieldContainer[Opportunity]
    recent_activities: _containers.RepeatedCompositeFieldContainer[Activity]
    children: _containers.RepeatedCompositeFieldContainer[Account]
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ..., contacts: _Optional[_Iterable[_Union[Contact, _Mapping]]] = ..., open_opportunities: _Optional[_Iterable[_Union[Opportunity, _Mapping]]] = ..., closed_opportunities: _Optional[_Iterable[_Union[Opportunity, _Mapping]]] = ..., recent_activities: _Optional[_Iterable[_Union[Activity, _Mapping]]] = ..., children: _Optional[_Iterable[_Union[Account, _Mapping]]] = ...) -> None: ...

class Contact(_message.Message):
    __slots__ = ("id", "account_id", "first_name", "last_name", "email", "phone", "title", "owner_id", "lead_id", "created_at", "updated_at", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    account_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    owner_id: str
    lead_id: str
    created_at: str
    updated_at: str
    version: int
    def __init__(self, id: _Optional[str] = ..., account_id: _Optional[str] = ..., first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., title: _Optional[str] = ..., owner_id: _Optional[str] = ..., lead_id: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ContactFields(_message.Message):
    __slots__ = ("account_id", "first_name", "last_name", "email", "phone", "title", "owner_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    owner_id: str
    def __init__(self, account_id: _Optional[str] = ..., first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., title: _Optional[str] = ..., owner_id: _Optional[str] = ...) -> None: ...

class CreateContactRequest(_message.Message):
    __slots__ = ("contact", "validate_only")
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    contact: ContactFields
    validate_only: bool
    def __init__(self, contact: _Optional[_Union[ContactFields, _Mapping]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdateContactRequest(_message.Message):
    __slots__ = ("id", "changes", "clear", "expected_version", "validate_only")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    id: str
    changes: ContactFields
    clear: _containers.RepeatedScalarFieldContainer[str]
    expected_version: int
    validate_only: bool
    def __init__(self, id: _Optional[str] = ..., changes: _Optional[_Union[ContactFields, _Mapping]] = ..., clear: _Optional[_Iterable[str]] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ListContactsRequest(_message.Message):
    __slots__ = ("account_id", "owner_id", "q", "email", "page_size", "page_token")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    owner_id: str
    q: str
    email: str
    page_size: int
    page_token: str
    def __init__(self, account_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., q: _Optional[str] = ..., email: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListContactsReply(_message.Message):
    __slots__ = ("contacts", "next_page_token")
    CONTACTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    contacts: _containers.RepeatedCompositeFieldContainer[Contact]
    next_page_token: str
    def __init__(self, contacts: _Optional[_Iterable[_Union[Contact, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Product(_message.Message):
    __slots__ = ("id", "name", "code", "description", "family", "list_price", "active", "created_at", "updated_at", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    LIST_PRICE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    code: str
    description: str
    family: str
    list_price: Money
    active: bool
    created_at: str
    updated_at: str
    version: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., code: _Optional[str] = ..., description: _Optional[str] = ..., family: _Optional[str] = ..., list_price: _Optional[_Union[Money, _Mapping]] = ..., active: _Optional[bool] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ProductFields(_message.Message):
    __slots__ = ("name", "code", "description", "family", "list_price", "active")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    LIST_PRICE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    name: str
    code: str
    description: str
    family: str
    list_price: Money
    active: bool
    def __init__(self, name: _Optional[str] = ..., code: _Optional[str] = ..., description: _Optional[str] = ..., family: _Optional[str] = ..., list_price: _Optional[_Union[Money, _Mapping]] = ..., active: _Optional[bool] = ...) -> None: ...

class CreateProductRequest(_message.Message):
    __slots__ = ("product", "validate_only")
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    product: ProductFields
    validate_only: bool
    def __init__(self, product: _Optional[_Union[ProductFields, _Mapping]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdateProductRequest(_message.Message):
    __slots__ = ("id", "changes", "clear", "expected_version", "validate_only")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    id: str
    changes: ProductFields
    clear: _containers.RepeatedScalarFieldContainer[str]
    expected_version: int
    validate_only: bool
    def __init__(self, id: _Optional[str] = ..., changes: _Optional[_Union[ProductFields, _Mapping]] = ..., clear: _Optional[_Iterable[str]] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ListProductsRequest(_message.Message):
    __slots__ = ("active", "q", "page_size", "page_token")
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    active: bool
    q: str
    page_size: int
    page_token: str
    def __init__(self, active: _Optional[bool] = ..., q: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProductsReply(_message.Message):
    __slots__ = ("products", "next_page_token")
    PRODUCTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    products: _containers.RepeatedCompositeFieldContainer[Product]
    next_page_token: str
    def __init__(self, products: _Optional[_Iterable[_Union[Product, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LineItem(_message.Message):
    __slots__ = ("id", "product_id", "product_name", "quantity", "unit_price", "discount", "total", "position")
    ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    id: str
    product_id: str
    product_name: str
    quantity: str
    unit_price: str
    discount: str
    total: str
    position: int
    def __init__(self, id: _Optional[str] = ..., product_id: _Optional[str] = ..., product_name: _Optional[str] = ..., quantity: _Optional[str] = ..., unit_price: _Optional[str] = ..., discount: _Optional[str] = ..., total: _Optional[str] = ..., position: _Optional[int] = ...) -> None: ...

class ReferralRef(_message.Message):
    __slots__ = ("referral_id", "case_id", "case_number", "agent_id", "kind", "product_interest")
    REFERRAL_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_INTEREST_FIELD_NUMBER: _ClassVar[int]
    referral_id: str
    case_id: str
    case_number: str
    agent_id: str
    kind: str
    product_interest: str
    def __init__(self, referral_id: _Optional[str] = ..., case_id: _Optional[str] = ..., case_number: _Optional[str] = ..., agent_id: _Optional[str] = ..., kind: _Optional[str] = ..., product_interest: _Optional[str] = ...) -> None: ...

class Opportunity(_message.Message):
    __slots__ = ("id", "name", "account_id", "owner_id", "amount", "currency", "close_date", "stage", "probability", "forecast_category", "forecast_category_overridden", "next_step", "description", "lead_id", "primary_contact_id", "loss_reason", "referrals", "line_items", "is_closed", "is_won", "closed_at", "created_at", "updated_at", "version", "account_name")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CLOSE_DATE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    FORECAST_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    FORECAST_CATEGORY_OVERRIDDEN_FIELD_NUMBER: _ClassVar[int]
    NEXT_STEP_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    LOSS_REASON_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    LINE_ITEMS_FIELD_NUMBER: _ClassVar[int]
    IS_CLOSED_FIELD_NUMBER: _ClassVar[int]
    IS_WON_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_NAME_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    account_id: str
    owner_id: str
    amount: str
    currency: str
    close_date: str
    stage: str
    probability: int
    forecast_category: str
    forecast_category_overridden: bool
    next_step: str
    description: str
    lead_id: str
    primary_contact_id: str
    loss_reason: str
    referrals: _containers.RepeatedCompositeFieldContainer[ReferralRef]
    line_items: _containers.RepeatedCompositeFieldContainer[LineItem]
    is_closed: bool
    is_won: bool
    closed_at: str
    created_at: str
    updated_at: str
    version: int
    account_name: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., account_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., amount: _Optional[str] = ..., currency: _Optional[str] = ..., close_date: _Optional[str] = ..., stage: _Optional[str] = ..., probability: _Optional[int] = ..., forecast_category: _Optional[str] = ..., forecast_category_overridden: _Optional[bool] = ..., next_step: _Optional[str] = ..., description: _Optional[str] = ..., lead_id: _Optional[str] = ..., primary_contact_id: _Optional[str] = ..., loss_reason: _Optional[str] = ..., referrals: _Optional[_Iterable[_Union[ReferralRef, _Mapping]]] = ..., line_items: _Optional[_Iterable[_Union[LineItem, _Mapping]]] = ..., is_closed: _Optional[bool] = ..., is_won: _Optional[bool] = ..., closed_at: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., version: _Optional[int] = ..., account_name: _Optional[str] = ...) -> None: ...

class OpportunityFields(_message.Message):
    __slots__ = ("name", "account_id", "owner_id", "amount", "currency", "close_date", "stage", "forecast_category", "next_step", "description", "primary_contact_id", "loss_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CLOSE_DATE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    FORECAST_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    NEXT_STEP_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    LOSS_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    account_id: str
    owner_id: str
    amount: str
    currency: str
    close_date: str
    stage: str
    forecast_category: str
    next_step: str
    description: str
    primary_contact_id: str
    loss_reason: str
    def __init__(self, name: _Optional[str] = ..., account_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., amount: _Optional[str] = ..., currency: _Optional[str] = ..., close_date: _Optional[str] = ..., stage: _Optional[str] = ..., forecast_category: _Optional[str] = ..., next_step: _Optional[str] = ..., description: _Optional[str] = ..., primary_contact_id: _Optional[str] = ..., loss_reason: _Optional[str] = ...) -> None: ...

class CreateOpportunityRequest(_message.Message):
    __slots__ = ("opportunity", "validate_only")
    OPPORTUNITY_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    opportunity: OpportunityFields
    validate_only: bool
    def __init__(self, opportunity: _Optional[_Union[OpportunityFields, _Mapping]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdateOpportunityRequest(_message.Message):
    __slots__ = ("id", "changes", "clear", "expected_version", "validate_only")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    id: str
    changes: OpportunityFields
    clear: _containers.RepeatedScalarFieldContainer[str]
    expected_version: int
    validate_only: bool
    def __init__(self, id: _Optional[str] = ..., changes: _Optional[_Union[OpportunityFields, _Mapping]] = ..., clear: _Optional[_Iterable[str]] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ListOpportunitiesRequest(_message.Message):
    __slots__ = ("owner_id", "account_id", "stage", "is_closed", "forecast_category", "close_date_from", "close_date_to", "q", "lead_id", "page_size", "page_token")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    IS_CLOSED_FIELD_NUMBER: _ClassVar[int]
    FORECAST_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CLOSE_DATE_FROM_FIELD_NUMBER: _ClassVar[int]
    CLOSE_DATE_TO_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    account_id: str
    stage: str
    is_closed: bool
    forecast_category: str
    close_date_from: str
    close_date_to: str
    q: str
    lead_id: str
    page_size: int
    page_token: str
    def __init__(self, owner_id: _Optional[str] = ..., account_id: _Optional[str] = ..., stage: _Optional[str] = ..., is_closed: _Optional[bool] = ..., forecast_category: _Optional[str] = ..., close_date_from: _Optional[str] = ..., close_date_to: _Optional[str] = ..., q: _Optional[str] = ..., lead_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class StreamOpportunitiesRequest(_message.Message):
    __slots__ = ("page_size",)
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    def __init__(self, page_size: _Optional[int] = ...) -> None: ...

class ListOpportunitiesReply(_message.Message):
    __slots__ = ("opportunities", "next_page_token")
    OPPORTUNITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    opportunities: _containers.RepeatedCompositeFieldContainer[Opportunity]
    next_page_token: str
    def __init__(self, opportunities: _Optional[_Iterable[_Union[Opportunity, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LineItemFields(_message.Message):
    __slots__ = ("product_id", "quantity", "unit_price", "discount")
    PRODUCT_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    product_id: str
    quantity: str
    unit_price: str
    discount: str
    def __init__(self, product_id: _Optional[str] = ..., quantity: _Optional[str] = ..., unit_price: _Optional[str] = ..., discount: _Optional[str] = ...) -> None: ...

class AddLineItemRequest(_message.Message):
    __slots__ = ("opportunity_id", "line_item", "expected_version", "validate_only")
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_ITEM_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    line_item: LineItemFields
    expected_version: int
    validate_only: bool
    def __init__(self, opportunity_id: _Optional[str] = ..., line_item: _Optional[_Union[LineItemFields, _Mapping]] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdateLineItemRequest(_message.Message):
    __slots__ = ("opportunity_id", "line_item_id", "changes", "expected_version", "validate_only")
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    line_item_id: str
    changes: LineItemFields
    expected_version: int
    validate_only: bool
    def __init__(self, opportunity_id: _Optional[str] = ..., line_item_id: _Optional[str] = ..., changes: _Optional[_Union[LineItemFields, _Mapping]] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class RemoveLineItemRequest(_message.Message):
    __slots__ = ("opportunity_id", "line_item_id", "expected_version")
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    line_item_id: str
    expected_version: int
    def __init__(self, opportunity_id: _Optional[str] = ..., line_item_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class GetStageHistoryRequest(_message.Message):
    __slots__ = ("opportunity_id",)
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    opportunity_id: str
    def __init__(self, opportunity_id: _Optional[str] = ...) -> None: ...

class StageChange(_message.Message):
    __slots__ = ("at", "actor_id", "from_stage", "to_stage", "amount", "currency", "close_date", "probability", "forecast_category")
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STAGE_FIELD_NUMBER: _ClassVar[int]
    TO_STAGE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CLOSE_DATE_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    FORECAST_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    at: str
    actor_id: str
    from_stage: str
    to_stage: str
    amount: str
    currency: str
    close_date: str
    probability: int
    forecast_category: str
    def __init__(self, at: _Optional[str] = ..., actor_id: _Optional[str] = ..., from_stage: _Optional[str] = ..., to_stage: _Optional[str] = ..., amount: _Optional[str] = ..., currency: _Optional[str] = ..., close_date: _Optional[str] = ..., probability: _Optional[int] = ..., forecast_category: _Optional[str] = ...) -> None: ...

class StageHistoryReply(_message.Message):
    __slots__ = ("changes",)
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[StageChange]
    def __init__(self, changes: _Optional[_Iterable[_Union[StageChange, _Mapping]]] = ...) -> None: ...

class ListHistoryRequest(_message.Message):
    __slots__ = ("id", "page_size", "page_token")
    ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    page_size: int
    page_token: str
    def __init__(self, id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("seq", "at", "actor_id", "action", "changes_json", "correlation_id")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_JSON_FIELD_NUMBER: _ClassVar[int]
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    seq: int
    at: str
    actor_id: str
    action: str
    changes_json: str
    correlation_id: str
    def __init__(self, seq: _Optional[int] = ..., at: _Optional[str] = ..., actor_id: _Optional[str] = ..., action: _Optional[str] = ..., changes_json: _Optional[str] = ..., correlation_id: _Optional[str] = ...) -> None: ...

class HistoryReply(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[HistoryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[HistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Stage(_message.Message):
    __slots__ = ("name", "probability", "forecast_category", "is_closed", "is_won", "guidance", "requirements")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    FORECAST_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    IS_CLOSED_FIELD_NUMBER: _ClassVar[int]
    IS_WON_FIELD_NUMBER: _ClassVar[int]
    GUIDANCE_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENTS_FIELD_NUMBER: _ClassVar[int]
    name: str
    probability: int
    forecast_category: str
    is_closed: bool
    is_won: bool
    guidance: str
    requirements: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., probability: _Optional[int] = ..., forecast_category: _Optional[str] = ..., is_closed: _Optional[bool] = ..., is_won: _Optional[bool] = ..., guidance: _Optional[str] = ..., requirements: _Optional[_Iterable[str]] = ...) -> None: ...

class Stages(_message.Message):
    __slots__ = ("stages", "version", "updated_at", "updated_by")
    STAGES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BY_FIELD_NUMBER: _ClassVar[int]
    stages: _containers.RepeatedCompositeFieldContainer[Stage]
    version: int
    updated_at: str
    updated_by: str
    def __init__(self, stages: _Optional[_Iterable[_Union[Stage, _Mapping]]] = ..., version: _Optional[int] = ..., updated_at: _Optional[str] = ..., updated_by: _Optional[str] = ...) -> None: ...

class GetStagesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PutStagesRequest(_message.Message):
    __slots__ = ("stages", "expected_version")
    STAGES_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    stages: _containers.RepeatedCompositeFieldContainer[Stage]
    expected_version: int
    def __init__(self, stages: _Optional[_Iterable[_Union[Stage, _Mapping]]] = ..., expected_version: _Optional[int] = ...) -> None: ...

class ConvertLeadRequest(_message.Message):
    __slots__ = ("lead_id", "first_name", "last_name", "email", "phone", "title", "company", "industry", "country", "employees", "lead_owner_id", "referrals", "account_id", "opportunity_name", "amount", "close_date")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    INDUSTRY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEES_FIELD_NUMBER: _ClassVar[int]
    LEAD_OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    REFERRALS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITY_NAME_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CLOSE_DATE_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    title: str
    company: str
    industry: str
    country: str
    employees: int
    lead_owner_id: str
    referrals: _containers.RepeatedCompositeFieldContainer[ReferralRef]
    account_id: str
    opportunity_name: str
    amount: Money
    close_date: str
    def __init__(self, lead_id: _Optional[str] = ..., first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., title: _Optional[str] = ..., company: _Optional[str] = ..., industry: _Optional[str] = ..., country: _Optional[str] = ..., employees: _Optional[int] = ..., lead_owner_id: _Optional[str] = ..., referrals: _Optional[_Iterable[_Union[ReferralRef, _Mapping]]] = ..., account_id: _Optional[str] = ..., opportunity_name: _Optional[str] = ..., amount: _Optional[_Union[Money, _Mapping]] = ..., close_date: _Optional[str] = ...) -> None: ...

class ConvertLeadReply(_message.Message):
    __slots__ = ("lead_id", "account_id", "contact_id", "opportunity_id", "account_created", "replayed")
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_ID_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_CREATED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    lead_id: str
    account_id: str
    contact_id: str
    opportunity_id: str
    account_created: bool
    replayed: bool
    def __init__(self, lead_id: _Optional[str] = ..., account_id: _Optional[str] = ..., contact_id: _Optional[str] = ..., opportunity_id: _Optional[str] = ..., account_created: _Optional[bool] = ..., replayed: _Optional[bool] = ...) -> None: ...

class RelatedTo(_message.Message):
    __slots__ = ("type", "id")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    type: str
    id: str
    def __init__(self, type: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class Activity(_message.Message):
    __slots__ = ("id", "type", "subject", "description", "related_to", "owner_id", "status", "due_date", "starts_at", "duration_minutes", "completed_at", "outcome", "created_by", "created_at", "updated_at", "version")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RELATED_TO_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    subject: str
    description: str
    related_to: RelatedTo
    owner_id: str
    status: str
    due_date: str
    starts_at: str
    duration_minutes: int
    completed_at: str
    outcome: str
    created_by: str
    created_at: str
    updated_at: str
    version: int
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ..., related_to: _Optional[_Union[RelatedTo, _Mapping]] = ..., owner_id: _Optional[str] = ..., status: _Optional[str] = ..., due_date: _Optional[str] = ..., starts_at: _Optional[str] = ..., duration_minutes: _Optional[int] = ..., completed_at: _Optional[str] = ..., outcome: _Optional[str] = ..., created_by: _Optional[str] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class ActivityFields(_message.Message):
    __slots__ = ("type", "subject", "description", "related_to", "owner_id", "status", "due_date", "starts_at", "duration_minutes", "outcome")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RELATED_TO_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    STARTS_AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_MINUTES_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    type: str
    subject: str
    description: str
    related_to: RelatedTo
    owner_id: str
    status: str
    due_date: str
    starts_at: str
    duration_minutes: int
    outcome: str
    def __init__(self, type: _Optional[str] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ..., related_to: _Optional[_Union[RelatedTo, _Mapping]] = ..., owner_id: _Optional[str] = ..., status: _Optional[str] = ..., due_date: _Optional[str] = ..., starts_at: _Optional[str] = ..., duration_minutes: _Optional[int] = ..., outcome: _Optional[str] = ...) -> None: ...

class CreateActivityRequest(_message.Message):
    __slots__ = ("activity", "validate_only")
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    activity: ActivityFields
    validate_only: bool
    def __init__(self, activity: _Optional[_Union[ActivityFields, _Mapping]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class UpdateActivityRequest(_message.Message):
    __slots__ = ("id", "changes", "clear", "expected_version", "validate_only")
    ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    id: str
    changes: ActivityFields
    clear: _containers.RepeatedScalarFieldContainer[str]
    expected_version: int
    validate_only: bool
    def __init__(self, id: _Optional[str] = ..., changes: _Optional[_Union[ActivityFields, _Mapping]] = ..., clear: _Optional[_Iterable[str]] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ListActivitiesRequest(_message.Message):
    __slots__ = ("related_to", "owner_id", "status", "type", "page_size", "page_token")
    RELATED_TO_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    related_to: RelatedTo
    owner_id: str
    status: str
    type: str
    page_size: int
    page_token: str
    def __init__(self, related_to: _Optional[_Union[RelatedTo, _Mapping]] = ..., owner_id: _Optional[str] = ..., status: _Optional[str] = ..., type: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListActivitiesReply(_message.Message):
    __slots__ = ("activities", "next_page_token")
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    activities: _containers.RepeatedCompositeFieldContainer[Activity]
    next_page_token: str
    def __init__(self, activities: _Optional[_Iterable[_Union[Activity, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TodayActivitiesRequest(_message.Message):
    __slots__ = ("today",)
    TODAY_FIELD_NUMBER: _ClassVar[int]
    today: str
    def __init__(self, today: _Optional[str] = ...) -> None: ...
