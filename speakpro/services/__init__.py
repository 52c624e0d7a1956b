"""Domain logic: plain functions that take a database `Session`; no Reflex imports here."""
