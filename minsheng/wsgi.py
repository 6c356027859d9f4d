import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
application = get_wsgi_application()

from minsheng.settings import refuse_demo_secrets_in_production  # noqa: E402

refuse_demo_secrets_in_production()
