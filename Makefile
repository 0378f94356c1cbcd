# The two commands of the quick start: `make run` and `make test`.
.PHONY: run test install protos protos-check lock deploy-check

run:  ## install what is missing, migrate, start every service and the gateway
	@bash scripts/run.sh

test:  ## the whole suite, against real RabbitMQ and PostgreSQL
	@bash scripts/test.sh $(ARGS)

deploy-check:  ## validate deploy/ (Dockerfile, compose, Kubernetes) and that each package stands alone
	@bash scripts/deploy-check.sh

install:  ## only the virtual environment (.venv), from uv.lock
	@bash -c 'source scripts/lib.sh && ensure_venv'

protos: install  ## regenerate all gRPC code from protos/
	@PATH="$(CURDIR)/.venv/bin:$$PATH" bash scripts/gen-protos.sh

protos-check: install  ## fail when generated gRPC code is stale
	@PATH="$(CURDIR)/.venv/bin:$$PATH" bash scripts/gen-protos.sh --check

lock:  ## refresh uv.lock after changing a pyproject.toml
	@bash -c 'source scripts/lib.sh && ensure_uv && "$$UV" lock'
