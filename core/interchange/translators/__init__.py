"""Each block kind's translations, one module per engine module of the same name
(core/engine/blocks/dense.py → translators/dense.py), registered in core.interchange.translation."""
