from tandem_plumbing.migrations import run_env
from tandem_leads.adapters.models import metadata

run_env(metadata)
