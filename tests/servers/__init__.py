"""Loopback servers started by the tests (EWS, Graph, IMAP): nothing here leaves 127.0.0.1."""
