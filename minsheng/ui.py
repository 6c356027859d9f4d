"""Small presentation helpers shared by the apps' forms."""


class StyledFormMixin:
    """Gives every widget the CSS toolkit's classes, so templates stay plain."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if field.widget.input_type == "select" else "form-control"
            field.widget.attrs.setdefault("class", css)
