// The playbook model, YAML loading, validation, templating and matching live here.
