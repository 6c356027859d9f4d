"""Small presentation helpers shared by the apps' forms."""


class StyledFormMixin:
    """Gives every widget the CSS toolkit's classes, so templates stay plain."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # (a Textarea has no input_type)
            select = getattr(field.widget, "input_type", "") == "select"
            css = "form-select" if select else "form-control"
            field.widget.attrs.setdefault("class", css)
