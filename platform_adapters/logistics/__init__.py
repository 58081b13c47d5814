"""Transport documents and events: forwarder BL reports (CSV/XLSX), DCSA eBL v3 and DCSA T&T JSON.

Pure mappers to the records of ``platform_adapters.canonical.logistics``; no I/O beyond parsing the
text they are given.
"""
