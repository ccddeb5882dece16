/**
 * The SDK's logger, with the same levels, environment variables and line format:
 * `EXOSPHERE_LOG_LEVEL` (DEBUG, INFO, WARN, ERROR; default INFO) and
 * `EXOSPHERE_DISABLE_DEFAULT_LOGGING=true` to silence it. In addition, `configure` lets a program
 * change the level or send the lines elsewhere (for example to stderr, keeping stdout for data).
 */
export enum LogLevel {
  DEBUG = 0,
  INFO = 1,
  WARN = 2,
  ERROR = 3,
}

/** Receives each formatted line that passes the level filter. */
export type LogWriter = (level: LogLevel, line: string) => void;

export interface LoggerConfig {
  level?: LogLevel;
  disabled?: boolean;
  /** Where lines go; null restores the default, console.debug/info/warn/error as in the SDK. */
  writer?: LogWriter | null;
}

const LEVEL_NAMES: Record<LogLevel, string> = {
  [LogLevel.DEBUG]: 'DEBUG',
  [LogLevel.INFO]: 'INFO',
  [LogLevel.WARN]: 'WARN',
  [LogLevel.ERROR]: 'ERROR',
};

function consoleWriter(level: LogLevel, line: string): void {
  switch (level) {
    case LogLevel.DEBUG:
      console.debug(line);
      break;
    case LogLevel.INFO:
      console.info(line);
      break;
    case LogLevel.WARN:
      console.warn(line);
      break;
    case LogLevel.ERROR:
      console.error(line);
      break;
  }
}

function levelFromEnv(): LogLevel {
  switch ((process.env.EXOSPHERE_LOG_LEVEL || 'INFO').toUpperCase()) {
    case 'DEBUG':
      return LogLevel.DEBUG;
    case 'WARN':
      return LogLevel.WARN;
    case 'ERROR':
      return LogLevel.ERROR;
    default:
      return LogLevel.INFO;
  }
}

export class Logger {
  private static instance: Logger | undefined;
  private level: LogLevel;
  private isDisabled: boolean;
  private writer: LogWriter = consoleWriter;

  private constructor() {
    this.level = levelFromEnv();
    this.isDisabled = process.env.EXOSPHERE_DISABLE_DEFAULT_LOGGING === 'true';
  }

  public static getInstance(): Logger {
    if (!Logger.instance) Logger.instance = new Logger();
    return Logger.instance;
  }

  /** Changes the level, switches logging off or on, or redirects the lines. */
  public configure(config: LoggerConfig): void {
    if (config.level !== undefined) this.level = config.level;
    if (config.disabled !== undefined) this.isDisabled = config.disabled;
    if (config.writer !== undefined) this.writer = config.writer ?? consoleWriter;
  }

  public debug(name: string, message: string): void {
    this.log(LogLevel.DEBUG, name, message);
  }

  public info(name: string, message: string): void {
    this.log(LogLevel.INFO, name, message);
  }

  public warn(name: string, message: string): void {
    this.log(LogLevel.WARN, name, message);
  }

  public error(name: string, message: string): void {
    this.log(LogLevel.ERROR, name, message);
  }

  private log(level: LogLevel, name: string, message: string): void {
    if (this.isDisabled || level < this.level) return;
    const timestamp = new Date().toISOString().replace('T', ' ').substring(0, 19);
    this.writer(level, `${timestamp} | ${LEVEL_NAMES[level]} | ${name} | ${message}`);
  }
}

export const logger = Logger.getInstance();
