from tandem_plumbing.migrations import run_env
from tandem_notify.adapters.models import metadata

run_env(metadata)
