"""List the partner's customer orgs in Proofpoint; --bring-in makes tenants of the ones named."""

from django.core.management.base import BaseCommand, CommandError

from onboarding.fleet import discovery


class Command(BaseCommand):
    help = "List the Proofpoint partner's customer orgs (domains, sync, licences); bring some in."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--bring-in",
            nargs="+",
            metavar="DOMAIN",
            default=[],
            help="Make tenants of these orgs (primary domains); existing ones are matched.",
        )
        parser.add_argument(
            "--all-new", action="store_true", help="Bring in every org no tenant has yet."
        )

    def handle(self, *args, **options) -> None:
        try:
            if options["bring_in"] or options["all_new"]:
                domains = list(options["bring_in"])
                if options["all_new"]:
                    domains += [
                        o.primary_domain for o in discovery.discover() if o.tenant_id is None
                    ]
                for result in discovery.bring_in(domains):
                    extra = " (adopted)" if result.adopted else ""
                    self.stdout.write(
                        f"{result.domain}: {result.outcome} {result.lifecycle}{extra} "
                        f"{result.message}".rstrip()
                    )
                return
            count = 0
            for org in discovery.discover():
                count += 1
                self.stdout.write(_line(org))
            self.stdout.write(f"{count} org(s).")
        except discovery.DiscoveryError as error:
            raise CommandError(error.message) from None


def _line(org: discovery.DiscoveredOrg) -> str:
    if org.sync_configured:
        expiry = org.secret_expiry.date().isoformat() if org.secret_expiry else "unknown"
        last = (
            org.last_successful_sync.isoformat(timespec="minutes")
            if org.last_successful_sync
            else "never"
        )
        sync = (
            f"sync app {org.application_id}, every {org.sync_frequency} h, "
            f"secret expires {expiry}, last successful sync {last}"
        )
    else:
        sync = "Azure sync never set up"
    where = f"already in the portal as {org.tenant_name}" if org.tenant_id else "new"
    flags = "; ".join(discovery.FLAG_WORDS[f] for f in org.flags)
    return (
        f"{org.primary_domain} ({org.name}) [{where}] domains {', '.join(org.domains)}; {sync}; "
        f"licences {org.user_licenses}, active users {org.active_users}"
        + (f"; {flags}" if flags else "")
    )
