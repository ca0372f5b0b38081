import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger };

/** Field paths whose values never reach a log line (credentials, tokens, auth headers). */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "credentials",
  "*.credentials",
  "auth",
  "*.auth",
  "bearerToken",
  "*.bearerToken",
  "webhookSecret",
  "*.webhookSecret",
  "privateKey",
  "*.privateKey",
];

export interface LoggerConfig {
  level?: string;
  /** Pretty output for humans; default: when stderr is a TTY. */
  pretty?: boolean;
  /** Where JSON lines go (tests capture them); default stderr. */
  destination?: NodeJS.WritableStream;
}

/** The process logger: pino JSON lines by default, pretty on a TTY, secrets redacted. */
export function createLogger(config: LoggerConfig = {}): Logger {
  const options: LoggerOptions = {
    level: config.level ?? process.env["BOSUN_LOG_LEVEL"] ?? "info",
    base: { name: "bosun" },
    redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.destination) return pino(options, config.destination as pino.DestinationStream);
  const pretty = config.pretty ?? process.stderr.isTTY === true;
  if (pretty) {
    return pino({ ...options, transport: { target: "pino-pretty", options: { destination: 2, colorize: true } } });
  }
  return pino(options, pino.destination(2));
}
