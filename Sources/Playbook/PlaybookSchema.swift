public import QMP

/// The JSON Schema (draft 2020-12) of the playbook format, for editors.
///
/// `qmpbook schema` prints it; point the YAML language server at it
/// (`# yaml-language-server: $schema=qmpbook.schema.json`) to complete and
/// check playbooks while typing. The schema checks shape only: what needs
/// the whole playbook (ids, targets, variables, `since`) is `qmpbook check`'s.
public enum PlaybookSchema {
    public static var jsonSchema: JSONValue {
        // The text is a constant checked by the tests; parsing it cannot fail.
        (try? JSONValue(parsing: text)) ?? .null
    }

    static let durationPattern = "^ *[0-9]+(\\\\.[0-9]*)?(ms|us|ns|s|m|h)? *$"

    static let text = """
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "$id": "https://qmpbook.invalid/schema/playbook-1.json",
      "title": "qmpbook playbook (version 1)",
      "description": "A declarative list of QMP commands and event waits run against QEMU targets.",
      "type": "object",
      "required": ["name", "targets", "steps"],
      "additionalProperties": false,
      "properties": {
        "name": {"type": ["string", "number", "boolean"], "description": "The playbook's name, shown in progress and reports."},
        "description": {"type": ["string", "number", "boolean"]},
        "version": {"const": 1, "description": "The format version; only 1 exists."},
        "vars": {"type": ["object", "null"], "description": "Variables for ${NAME}; any YAML values.",
                 "propertyNames": {"pattern": "^[A-Za-z0-9_-]+$", "not": {"enum": ["env", "playbook", "run"]}}},
        "timeout": {"$ref": "#/$defs/duration", "description": "Deadline for the whole run, opening the targets included."},
        "always-timeout": {"$ref": "#/$defs/duration", "description": "The most all always steps together may take; default 60s."},
        "defaults": {
          "type": ["object", "null"], "additionalProperties": false,
          "properties": {
            "target": {"type": "string"},
            "timeout": {"$ref": "#/$defs/duration"},
            "interval": {"$ref": "#/$defs/duration"},
            "ignore-errors": {"type": "boolean"},
            "redact": {"type": "boolean"}
          }
        },
        "targets": {"type": "object", "minProperties": 1, "additionalProperties": {"$ref": "#/$defs/target"}},
        "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}},
        "always": {"type": ["array", "null"], "items": {"$ref": "#/$defs/step"}, "description": "Steps run after the others, whatever happened."}
      },
      "$defs": {
        "duration": {
          "description": "250ms, 5s, 2m, 1h, or a number of seconds.",
          "oneOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": "\(durationPattern)"}]
        },
        "scalar": {"type": ["string", "number", "boolean"]},
        "condition": {"oneOf": [{"type": "boolean"}, {"type": "string", "pattern": "[$][{]"}]},
        "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
        "target": {
          "type": "object", "additionalProperties": false,
          "oneOf": [{"required": ["connect"]}, {"required": ["listen"]}, {"required": ["launch"]},
                    {"required": ["libvirt"], "not": {"required": ["capabilities"]}}],
          "properties": {
            "connect": {"type": "string", "description": "unix:PATH, tcp:HOST:PORT or a socket path."},
            "listen": {"type": "string", "description": "unix:PATH or tcp:HOST:PORT to listen on for QEMU."},
            "launch": {
              "oneOf": [
                {"$ref": "#/$defs/argv"},
                {"type": "object", "additionalProperties": false, "required": ["command"],
                 "properties": {"command": {"$ref": "#/$defs/argv"},
                                "env": {"type": "object", "additionalProperties": {"$ref": "#/$defs/scalar"}}}}
              ]
            },
            "libvirt": {"$ref": "#/$defs/libvirt"},
            "capabilities": {"type": ["array", "null"], "items": {"type": "string"}},
            "timeout": {"$ref": "#/$defs/duration"},
            "console": {"description": "The serial console: true (launch: qmpbook adds the first serial port) or an existing socket, unix:PATH.",
                        "oneOf": [{"type": "boolean"}, {"type": "string", "pattern": "^(unix:|tcp:|.*/)"}]},
            "agent": {"description": "The QEMU guest agent: isa-serial or virtio-serial (launch: qmpbook wires it) or an existing socket, unix:PATH.",
                      "oneOf": [{"enum": ["isa-serial", "virtio-serial"]}, {"type": "string", "pattern": "^(unix:|tcp:|.*/)"}]},
            "autostart": {"type": "boolean", "description": "false: not opened before the first step, but by its first start step."}
          }
        },
        "libvirt": {
          "type": "object", "additionalProperties": false, "required": ["uri"],
          "oneOf": [{"required": ["domain"]}, {"required": ["create"]}],
          "description": "A domain libvirt manages; QMP passes through libvirt (Docs/libvirt.md).",
          "properties": {
            "uri": {"type": "string", "minLength": 1, "description": "A libvirt connection URI: qemu:///system, qemu+unix:///system?socket=PATH, qemu+tcp://HOST/system, qemu+ssh://…"},
            "domain": {"type": ["string", "number"], "description": "The name or UUID of a running domain."},
            "create": {
              "type": "object", "additionalProperties": false, "required": ["xml"],
              "description": "A transient domain created for this run and destroyed at its end.",
              "properties": {
                "xml": {"type": "string", "description": "The domain XML (text starting with '<') or a file holding it, relative to the playbook's folder."},
                "paused": {"type": "boolean", "description": "Start the domain paused (default false)."}
              }
            }
          }
        },
        "argv": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/scalar"}},
        "pattern": {"description": "A value to match; a map whose keys start with $ holds operators, all of which must hold: $regex, $exists, $ne, $gt, $ge, $lt, $le, $in, $contains, $any, $not, $or, $all, $len."},
        "step": {
          "type": "object", "additionalProperties": false,
          "oneOf": [{"required": ["execute"]}, {"required": ["wait-event"]}, {"required": ["sleep"]},
                    {"required": ["hmp"]}, {"required": ["log"]}, {"required": ["command"]},
                    {"required": ["set"]}, {"required": ["assert"]}, {"required": ["fail"]},
                    {"required": ["start"]}, {"required": ["stop"]}, {"required": ["block"]}, {"required": ["include"]},
                    {"required": ["agent"]}, {"required": ["guest-exec"]}, {"required": ["wait-console"]},
                    {"required": ["send-console"]}],
          "dependentRequired": {
            "fd": ["execute"],
            "interval": ["until"], "match": ["wait-event"], "message": ["assert"], "how": ["stop"],
            "rescue": ["block"], "always": ["block"], "vars": ["include"], "loop-var": ["loop"]
          },
          "properties": {
            "name": {"$ref": "#/$defs/scalar"},
            "id": {"$ref": "#/$defs/scalar"},
            "target": {"type": "string"},
            "timeout": {"$ref": "#/$defs/duration"},
            "ignore-errors": {"type": "boolean"},
            "tags": {"type": ["array", "null"], "items": {"type": "string"}},
            "redact": {"type": "boolean"},
            "when": {"$ref": "#/$defs/condition", "description": "Run the step (or block) only when this is true; in a loop, asked for each element."},
            "loop": {
              "description": "Repeat the step or block once per element: a list, a ${…} text giving a list, or {range: [FIRST, END]} (FIRST … END-1).",
              "oneOf": [
                {"type": "array"},
                {"type": "string", "pattern": "[$][{]"},
                {"type": "object", "additionalProperties": false, "required": ["range"],
                 "properties": {"range": {"type": "array", "minItems": 2, "maxItems": 2,
                                          "items": {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "[$][{]"}]}}}}
              ]
            },
            "loop-var": {"$ref": "#/$defs/name", "description": "The name of the loop's element (default item); ${loop.index} is its 0-based number."},
            "block": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}, "description": "A group of steps."},
            "rescue": {"type": ["array", "null"], "items": {"$ref": "#/$defs/step"}, "description": "Runs when a step of the block failed; the block then passes or fails as these do."},
            "always": {"type": ["array", "null"], "items": {"$ref": "#/$defs/step"}, "description": "Runs after the block and its rescue, whatever happened."},
            "include": {"type": "string", "minLength": 1, "description": "A file of steps (a list, or a map with steps and vars), relative to this file."},
            "vars": {"type": ["object", "null"], "description": "include: variables visible inside the included file only.",
                     "propertyNames": {"pattern": "^[A-Za-z0-9_-]+$", "not": {"enum": ["env", "playbook", "run"]}}},
            "execute": {"type": "string", "minLength": 1, "description": "A QMP command."},
            "arguments": {"type": ["object", "null"]},
            "fd": {
              "type": "object", "additionalProperties": false, "required": ["path"],
              "properties": {
                "path": {"type": "string"},
                "mode": {"enum": ["read", "write", "read-write", "append"]},
                "create": {"type": "boolean"},
                "perm": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^(0o)?[0-7]{1,4}$"}]}
              }
            },
            "expect": {
              "description": "execute: return or error; command: any of exit, signal, stdout, stderr, json; start and stop: any of exit, signal, stderr.",
              "oneOf": [
                {"type": "object", "additionalProperties": false,
                 "oneOf": [{"required": ["return"]}, {"required": ["error"]}],
                 "properties": {"return": {"$ref": "#/$defs/pattern"}, "error": {"$ref": "#/$defs/pattern"}}},
                {"type": "object", "additionalProperties": false, "minProperties": 1,
                 "properties": {"exit": {"$ref": "#/$defs/pattern"}, "signal": {"$ref": "#/$defs/pattern"},
                                "stdout": {"$ref": "#/$defs/pattern"}, "stderr": {"$ref": "#/$defs/pattern"},
                                "json": {"$ref": "#/$defs/pattern"}}}
              ]
            },
            "command": {
              "description": "A program on the host, without a shell: argv, or a map with argv, env, cwd, stdin.",
              "oneOf": [
                {"$ref": "#/$defs/argv"},
                {"type": "object", "additionalProperties": false, "required": ["argv"],
                 "properties": {"argv": {"$ref": "#/$defs/argv"},
                                "env": {"type": "object", "additionalProperties": {"$ref": "#/$defs/scalar"}},
                                "cwd": {"type": "string"},
                                "stdin": {"$ref": "#/$defs/scalar"}}}
              ]
            },
            "until": {"$ref": "#/$defs/pattern"},
            "interval": {"$ref": "#/$defs/duration"},
            "register": {"$ref": "#/$defs/name"},
            "wait-event": {"oneOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]},
            "match": {"$ref": "#/$defs/pattern"},
            "since": {"$ref": "#/$defs/scalar"},
            "sleep": {"$ref": "#/$defs/duration"},
            "hmp": {"type": "string"},
            "log": {"$ref": "#/$defs/scalar"},
            "set": {"type": "object", "minProperties": 1, "description": "Variables for the steps after this one.",
                    "propertyNames": {"pattern": "^[A-Za-z0-9_-]+$", "not": {"enum": ["env", "playbook", "run"]}}},
            "assert": {"$ref": "#/$defs/condition", "description": "Fails the step unless this is true."},
            "message": {"$ref": "#/$defs/scalar", "description": "assert: the message when it fails."},
            "fail": {"$ref": "#/$defs/scalar", "description": "Always fails, with this text."},
            "start": {"type": "string", "description": "Open this target now (launch, connect or listen): a restart after stop."},
            "stop": {"type": "string", "description": "End this target's current instance."},
            "how": {"enum": ["quit", "kill", "wait"],
                    "description": "quit: quit, grace, SIGTERM, SIGKILL; kill: SIGKILL at once; wait: for QEMU to exit on its own."},
            "agent": {"type": "string", "minLength": 1, "description": "A QEMU guest agent command (guest-ping, guest-get-osinfo…), sent to the target's agent."},
            "guest-exec": {
              "description": "A program in the guest, through the agent: argv, or a map with argv, env, input.",
              "oneOf": [
                {"$ref": "#/$defs/argv"},
                {"type": "object", "additionalProperties": false, "required": ["argv"],
                 "properties": {"argv": {"$ref": "#/$defs/argv"},
                                "env": {"type": "object", "additionalProperties": {"$ref": "#/$defs/scalar"}},
                                "input": {"$ref": "#/$defs/scalar"}}}
              ]
            },
            "wait-console": {"type": "string", "minLength": 1, "description": "A regular expression awaited on the target's console."},
            "send-console": {"$ref": "#/$defs/scalar", "description": "Text written to the target's console."}
          }
        }
      }
    }
    """
}
