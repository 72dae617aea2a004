"""Health checks and repair of a live tenant (api.md v1.1, "Tenant lifecycle and health").

- codes.py: the finding codes of api.md, their severity, whether repair fixes them, what it does;
- checks.py: reads Entra, Proofpoint and DNS (reads only) and says what is wrong (helpers layer);
- findings.py: records a check (findings keep first_seen_at, close when gone), the tenant's state,
  and announces every change of state (services layer);
- service.py: what pages, the API and tasks call: request a check, run one, start a repair, sweep.
"""
