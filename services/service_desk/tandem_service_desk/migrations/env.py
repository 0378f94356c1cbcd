from tandem_plumbing.migrations import run_env
from tandem_service_desk.adapters.models import metadata

run_env(metadata)
