/** Where `kdrill lab up` keeps a lab unless --dir says otherwise. */
export const DEFAULT_LAB_DIR = '.kdrill/lab';
