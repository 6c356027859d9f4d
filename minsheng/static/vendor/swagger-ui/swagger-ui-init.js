/* Starts Swagger UI from the settings the page carries as JSON (no inline script: the
   site's Content-Security-Policy allows scripts from its static files only). From
   django-ninja's static/ninja/swagger-ui-init.js. */
const configObject = JSON.parse(document.getElementById("swagger-settings").textContent);
configObject.dom_id = "#swagger-ui";
configObject.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
SwaggerUIBundle(configObject);
