"""The Content-Security-Policy header (Django 5.2 has no built-in one).

The policy is settings.CONTENT_SECURITY_POLICY: scripts only from this site's static files,
so an injected <script> or on…= attribute does not run. The templates keep to that
(tests/test_security_headers.py scans them). A response that set its own policy keeps it.
"""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
