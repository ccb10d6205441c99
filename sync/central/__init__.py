"""The reference central eConsulat: our own implementation of `docs/central-api.yaml`, run by `dour central`.

The real central is another institution's system; this one lets the demo and the tests talk to a central
over real HTTP, with the faults a real one shows (slow, failing, lost answers, unreachable). Its database is
its own SQLite file, never the site's.
"""
