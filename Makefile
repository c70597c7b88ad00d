# The two commands of casetafel: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PORT ?= 8000

.PHONY: run test lint typecheck test-sqlite test-postgres browser mailserver pango poppler bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## run: install, migrate the embedded SQLite database, load the demo when empty,
## start the local mail sink and serve the web UI on http://127.0.0.1:$(PORT)
run: $(STAMP) pango
	$(BIN)/casetafel check-config
	$(BIN)/casetafel migrate
	$(BIN)/casetafel demo --if-empty
	@mkdir -p var
	@$(BIN)/casetafel mail-sink > var/mail-sink.log 2>&1 & echo $$! > var/mail-sink.pid
	@echo "mail sink on 127.0.0.1:1025 (messages in var/mail/)"
	@echo "open http://127.0.0.1:$(PORT) and log in, e.g. as 'coordinator'"
	@$(BIN)/python -c "import casetafel.demo as d; print(d.LOGIN_HELP)"
	CASETAFEL_DEV_MAIL_PAGE=true $(BIN)/casetafel serve --port $(PORT); kill `cat var/mail-sink.pid` 2>/dev/null; rm -f var/mail-sink.pid

## test: lint, types, and the whole suite on SQLite and on PostgreSQL (browser tests included)
test: $(STAMP) browser mailserver pango poppler lint typecheck test-sqlite test-postgres

browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Debian's pango for weasyprint (the PDF of a subject's access request).
pango:
	@dpkg -s libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null)

# pdftotext, with which the tests read the PDFs they make.
poppler:
	@test -x /usr/bin/pdftotext || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null)

# Debian's dovecot for the IMAP tests; they start their own instance on a free port with a
# config of their own, so a system dovecot that the package may start (143/993) is no conflict.
mailserver:
	@test -x /usr/sbin/dovecot || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

test-sqlite: $(STAMP)
	CASETAFEL_TEST_DB=sqlite $(BIN)/pytest -q

test-postgres: $(STAMP)
	CASETAFEL_TEST_DB=postgres $(BIN)/pytest -q

## bench: the benchmarks at full size (see bench/README.md); figures printed, not asserted
bench: $(STAMP)
	$(BIN)/python bench/bench_cases.py --engine both --cases 300000
	$(BIN)/python bench/bench_sweep.py --engine both --cases 300000
	$(BIN)/python bench/bench_slots.py
	$(BIN)/python bench/bench_invites.py
	$(BIN)/python bench/bench_policy.py --engine both --cases 300000 --events 1000000

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
