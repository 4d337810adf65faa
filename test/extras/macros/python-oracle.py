# Test oracle for the macro engine: what Klipper's Python does.
#   render:  stdin JSON [[template, context], ...] -> rendered text with Jinja2 configured as
#            Klipper's gcode_macro ('{%' '%}' '{' '}'), or "!ExceptionType" on error.
#   literal: stdin JSON [text, ...] -> repr(ast.literal_eval(text)) (if json.dumps accepts it),
#            or "!ExceptionType".
import ast, json, sys

mode = sys.argv[1]
items = json.load(sys.stdin)
out = []
if mode == "render":
    import jinja2
    env = jinja2.Environment('{%', '%}', '{', '}')
    for template, context in items:
        try:
            out.append(env.from_string(template).render(context))
        except Exception as e:
            out.append("!" + type(e).__name__)
else:
    for text in items:
        try:
            value = ast.literal_eval(text)
            json.dumps(value, separators=(',', ':'))
            out.append(repr(value))
        except Exception as e:
            out.append("!" + type(e).__name__)
json.dump(out, sys.stdout)
