"""Package layout: the source keeps ``ingest/``, ``schemas/``, ``kernels/`` and ``notebooks/`` at the top of
the checkout, the wheel ships them inside the ``isomer_data`` namespace (nothing else lands at
the top of site-packages); ``bench/`` and ``tests/`` are not installed. Everything else about
the project is in pyproject.toml.
"""

from setuptools import find_packages, setup

MAPPED = {
    "isomer_data.ingest": "ingest",
    "isomer_data.schemas": "schemas",
    "isomer_data.kernels": "kernels",
    "isomer_data.notebooks": "notebooks",
}

packages = find_packages(include=["isomer_data", "isomer_data.*"])
for name, folder in MAPPED.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(where=folder)]

setup(packages=packages, package_dir=MAPPED)
