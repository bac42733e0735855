// Targets, step execution, the event log, deadlines and reports live here.
