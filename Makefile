# Two commands on a fresh machine: `make run` (site + worker + beat) and `make test` (the suite).
# With DATABASE_URL / REDIS_URL unset, an embedded PostgreSQL and Redis are started under var/.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test bench bench-analytics services stop check-deploy messages clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,embedded]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: $(STAMP)
	-bash scripts/ensure-cjk-font.sh
	$(PY) -m core.devservices run

test: $(STAMP)
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-cjk-font.sh
	$(PY) -m core.devservices up >/dev/null
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/flash_sale.py $(BENCH_ARGS)
	$(PY) bench/campaign_settle.py
	$(PY) bench/event_rush.py
	$(PY) bench/leaderboard.py
	$(PY) bench/repurchase_prompts.py
	$(PY) bench/partner_api.py

# Analytics at scale (100k members, 1M orders over two years): a few minutes; not part of `make bench`.
bench-analytics: $(STAMP)
	$(PY) bench/analytics.py

services: $(STAMP)
	$(PY) -m core.devservices up

stop: $(STAMP)
	$(PY) -m core.devservices down

check-deploy: $(STAMP)
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=$$(openssl rand -hex 32) ALLOWED_HOSTS=shequn.example.com \
	DATABASE_URL=postgres://u:p@db:5432/shequn REDIS_URL=redis://redis:6379/0 $(PY) manage.py check --deploy --fail-level WARNING

messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var
