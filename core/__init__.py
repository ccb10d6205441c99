"""The site itself: domain rules, storage, journal and the composition root (app, cli)."""
