export function testdataPath(...parts: string[]): string;
