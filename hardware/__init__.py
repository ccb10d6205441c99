"""Device layer of Dour: printer, payment terminal, card reader and scanner.

Each device is a small interface, a real driver and a simulator that speaks the
same bytes. This package imports no Flask, no ``core`` and no database.
"""
