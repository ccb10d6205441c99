# Dour: `make demo` starts the whole site with simulated devices; `make test` runs the whole suite.
# Both install what they need first (apt packages as root, then a virtual environment).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# libpcsclite-dev builds pyscard; pcscd and vsmartcard-vpcd give the tests a virtual smart-card reader.
# nginx (the HTTPS proxy test), systemd (systemd-analyze on the units), x11-xserver-utils (xset, in the
# browser units): docs/install.md. espeak-ng speaks the calls on the displays (docs/speech.md). redis-server: the message queue
# of several server processes (docs/serving.md), started by tests/system/test_multiprocess.py.
APT_PACKAGES := chromium fonts-dejavu-core libpcsclite-dev pcscd vsmartcard-vpcd nginx systemd x11-xserver-utils \
  espeak-ng redis-server
VENDOR_JS := node_modules/socket.io-client/dist/socket.io.min.js
STAMP := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)
CATALOGS := $(patsubst %.po,%.mo,$(wildcard core/translations/*/LC_MESSAGES/messages.po))
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Test files run in this many processes (pytest-xdist, one file per process at a time): most of a browser or
# server test is waiting, so two workers on two cores take about 10 minutes where one took 16. 1 runs serially.
TEST_WORKERS ?= 2

.PHONY: demo test lint bench apt venv translations extract clean install

demo: apt venv translations $(VENDOR_JS)
	$(BIN)/dour demo

test: apt venv translations $(VENDOR_JS)
	$(BIN)/python -m pytest $(if $(filter-out 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile); status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$status

# Dour on this machine as a site server: the dour user, /etc/dour, /var/lib/dour, /opt/dour and its own venv,
# the systemd units enabled (docs/install.md). Idempotent. `make install DESTDIR=/tmp/root` or DRY_RUN=1.
install: apt $(VENDOR_JS)
	$(SUDO) env DESTDIR="$(DESTDIR)" DRY_RUN="$(DRY_RUN)" PYTHON="$(PYTHON)" install/install.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy .

bench: venv translations $(VENDOR_JS)
	@for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

apt:
	@missing=""; for pkg in $(APT_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	$(PYTHON) -c "import ensurepip, venv" >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "installing apt packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

venv: $(STAMP) $(VENDOR_JS)  # the browser assets too: the pages need the Socket.IO client

$(STAMP): setup.cfg pyproject.toml | apt
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev]'
	rm -f $(VENV)/.installed-*; touch $@

$(VENDOR_JS): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

translations: venv $(CATALOGS)

core/translations/%/LC_MESSAGES/messages.mo: core/translations/%/LC_MESSAGES/messages.po
	$(BIN)/pybabel -q compile -d core/translations -l $*

extract: venv
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --sort-output --project dour -o core/translations/messages.pot \
	  core floor kiosk counter display
	$(BIN)/pybabel -q update -i core/translations/messages.pot -d core/translations

clean:
	rm -rf $(VENV) build *.egg-info
