// placeholder replaced below
export interface BaseImageAdvice { base: { name?: string; digest?: string }; recommendation?: { summary: string } }
