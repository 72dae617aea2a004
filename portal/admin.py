"""Keep API tokens out of the Django admin.

DRF's TokenAdmin lists every token's key, and a token's key is also its primary key and its str(),
so
any admin page that names a token (list, delete confirmation, history) would show a usable
credential
to whoever reads the page. People get their own token from `manage.py create_api_token`, once.
"""

from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
