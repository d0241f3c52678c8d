"""The example notebooks, shipped as ``isomer_data.notebooks`` and copied into an instance's
notebooks folder at its first start (:mod:`isomer_data.notebook_examples`)."""
