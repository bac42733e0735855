"""Validates a JUnit file against each schema given: prints one line per problem, exits 1 if any."""
import sys

import xmlschema

document = sys.argv[1]
failed = False
for path in sys.argv[2:]:
    schema = xmlschema.XMLSchema(path)
    for error in schema.iter_errors(document):
        failed = True
        print(f"{path.rsplit('/', 1)[-1]}: {error.reason} at {error.path}")
sys.exit(1 if failed else 0)
