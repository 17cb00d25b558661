/** The calibration methods the CLI offers (`--method`, `lowbit tune --methods`); kept here so the CLI starts without loading @lowbit/quantize. */
export const CALIBRATION_METHODS = ['minmax', 'entropy', 'percentile', 'mse', 'distribution', 'meanstd'];
