from tandem_plumbing.migrations import run_env
from tandem_gateway.adapters.models import metadata

run_env(metadata)
