"""The platform's core contracts: what services and installable modules plug into.

``isomer_data.core.modules``: the module contract (:class:`~isomer_data.core.modules.Module`)
and the runtime that discovers, isolates, configures, starts and stops modules.
"""
