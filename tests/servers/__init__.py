"""Servers the tests start on loopback: Dovecot (IMAP), Microsoft Graph, EWS."""
