"""The REST areas that front a service: each module has a blueprint `bp` and an
`openapi_fragment()` with its tags, paths and schemas."""
from . import (activities_routes, analytics_routes, audit_routes, cases_routes, customer360_routes, forecast_routes,
               leads_routes, notifications_routes, sales_routes, web_to_lead_routes)

AREAS = (leads_routes, cases_routes, notifications_routes, sales_routes, audit_routes, customer360_routes,
         activities_routes, forecast_routes, analytics_routes, web_to_lead_routes)
