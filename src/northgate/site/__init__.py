"""The public information site: pages rendered once per language, served as cached bytes."""
