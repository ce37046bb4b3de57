"""Block kinds, one module each; core.design.registry imports every module here."""
