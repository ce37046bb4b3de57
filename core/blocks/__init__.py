"""Block kinds, one module each; core.registry imports every module here."""
