public import QMP

/// The JSON Schema (draft 2020-12) of the inventory format (SPEC.md §11),
/// for editors: `qmpbook schema --inventory` prints it. Member targets use
/// the playbook schema's own target definition (its `$defs` are copied in).
/// Like ``PlaybookSchema`` it checks shape only: names, templates and target
/// names against the playbook are `qmpbook check --inventory`'s.
public enum InventorySchema {
    public static var jsonSchema: JSONValue {
        // The text is a constant checked by the tests; parsing it cannot fail.
        guard case .object(var schema)? = try? JSONValue(parsing: text),
              case .object(var definitions)? = PlaybookSchema.jsonSchema["$defs"],
              case .object(let own)? = schema["$defs"] else { return .null }
        for (name, value) in own.members { definitions[name] = value }
        schema["$defs"] = .object(definitions)
        return .object(schema)
    }

    static let text = """
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "$id": "https://qmpbook.invalid/schema/inventory-1.json",
      "title": "qmpbook inventory",
      "description": "Who a playbook runs against in a fleet: members with their targets and vars, templates, members found by asking libvirt.",
      "type": "object",
      "additionalProperties": false,
      "anyOf": [{"required": ["members"]}, {"required": ["from-libvirt"]}],
      "properties": {
        "members": {"type": ["object", "null"], "description": "Member name (or a template with one '*' and count) to what it changes.",
                    "additionalProperties": {"$ref": "#/$defs/member"}},
        "from-libvirt": {"type": ["array", "null"], "description": "libvirt daemons whose running domains become members.",
                         "items": {"$ref": "#/$defs/discovery"}}
      },
      "$defs": {
        "member": {
          "type": ["object", "null"],
          "additionalProperties": false,
          "properties": {
            "targets": {"type": ["object", "null"], "description": "Targets replacing the playbook's of the same names.",
                        "additionalProperties": {"$ref": "#/$defs/target"}},
            "vars": {"type": ["object", "null"], "description": "Added to the playbook's vars."},
            "count": {"type": "integer", "minimum": 1, "maximum": 10000, "description": "For a template (a name with one '*'): how many members."}
          }
        },
        "discovery": {
          "type": "object",
          "required": ["uri", "domains", "target"],
          "additionalProperties": false,
          "properties": {
            "uri": {"type": "string", "minLength": 1, "description": "A libvirt connection URI."},
            "domains": {"description": "A pattern over the domain names: a text, {$regex: …}, {$in: […]}…"},
            "target": {"type": "string", "description": "The playbook's target the domains replace."},
            "vars": {"type": ["object", "null"]},
            "timeout": {"$ref": "#/$defs/duration"}
          }
        }
      }
    }
    """
}
