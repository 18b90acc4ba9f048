export { createLogger, type LoggerOptions, type RedactingLogger, silentLogger } from "./logger.ts";
export { createRedactor, isSecretKey, REDACTED, redactedMessage, redactingLogger } from "./redact.ts";
export { consoleSink, formatLine, LOG_FORMATS, type LogFormat, type TextSinkOptions, textSink } from "./sinks.ts";
export { LOG_LEVELS, type Logger, type LogLevel, type LogLine, type LogSink, type Redactor } from "./types.ts";
