/** The version of @lowbit/quantize recorded in every model it writes (kept equal to package.json by its test). */
export const QUANTIZE_VERSION = '0.1.0';
export const TOOL_NAME = 'lowbit';
